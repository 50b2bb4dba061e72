import { Module } from '@nestjs/common';
import { DemoProvinceSeeder } from './demo-province.seeder';

@Module({ providers: [DemoProvinceSeeder], exports: [DemoProvinceSeeder] })
export class DemoProvinceModule {}

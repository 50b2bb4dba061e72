import { Module } from '@nestjs/common';
import { PeersModule } from '../../../imaging/src/peers/peers.module';
import { DemoProvinceSeeder } from './demo-province.seeder';

@Module({ imports: [PeersModule], providers: [DemoProvinceSeeder], exports: [DemoProvinceSeeder] })
export class DemoProvinceModule {}

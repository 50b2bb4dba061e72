import { Module } from '@nestjs/common';
import { ServiceAccountsController } from './service-accounts.controller';
import { ServiceAccountsModule } from './service-accounts.module';

/** The admin routes (/api/admin/service-accounts): mounted by the api app. */
@Module({ imports: [ServiceAccountsModule], controllers: [ServiceAccountsController] })
export class ServiceAccountsHttpModule {}

import { Module } from '@nestjs/common';
import { DirectoryModule } from '@huizhen/directory';
import { DirectoryAdminService } from './directory-admin.service';
import { DirectoryController } from './directory.controller';

@Module({
  imports: [DirectoryModule],
  controllers: [DirectoryController],
  providers: [DirectoryAdminService],
})
export class DirectoryHttpModule {}

import { Module } from '@nestjs/common';
import { PeerStore } from './peer-store';

/** DICOM peers as data: the store (the DIMSE SCP's lookup of calling AE titles) and the admin routes. */
@Module({ providers: [PeerStore], exports: [PeerStore] })
export class PeersModule {}

import { Module } from '@nestjs/common';

/** DICOM service: DICOMweb under /dicom-web, DIMSE SCP, storage. Filled by the imaging issue. */
@Module({})
export class ImagingModule {}

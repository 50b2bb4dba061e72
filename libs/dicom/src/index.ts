export * from './dicom-error';
export * from './transfer-syntax';
export * from './uid';
export * from './charset';
export * from './dictionary';
export * from './parse-instance';
export * from './dicom-json';
export * from './deidentify';

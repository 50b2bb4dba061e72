export * from './compare-dicom-patient';
export { compareNames, type NameVerdict } from './person-name';
export * from './dicom-patient-header';

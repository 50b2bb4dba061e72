/** The imaging API's JSON answers (DICOMweb answers are DICOM JSON and multipart, not these). */

/** A study shared with a named specialist until a date. */
export interface StudyShare {
  /** The access grant's id. */
  id: string;
}

/** A study linked to a consultation. */
export interface StudyConsultationLink {
  studyInstanceUid: string;
  consultationId: string;
}

import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { ResourceRef } from '@huizhen/access-policy';
import { ConsultationsService } from '../../../api/src/consultations/consultations.service';
import { ImagingService } from '../../../imaging/src/imaging.service';

/**
 * In the single process both apps run side by side: imaging learns from consultations who
 * takes part in the consultations a study belongs to, whether the study was linked on the
 * imaging side or attached by UID on the consultation side. (A standalone imaging node has
 * no consultations module: there, explicit shares grant access.)
 */
@Injectable()
export class ConsultationImagingBridge implements OnModuleInit {
  constructor(
    private readonly imaging: ImagingService,
    private readonly consultations: ConsultationsService,
  ) {}

  onModuleInit() {
    this.imaging.setConsultationResolver(async (studyUid, linked) => {
      const refs: ResourceRef[] = [...(await this.consultations.accessRefsForStudy(studyUid)), ...(await this.consultations.accessRefs(linked))];
      return [...new Map(refs.map((r) => [r.id, r])).values()];
    });
  }
}

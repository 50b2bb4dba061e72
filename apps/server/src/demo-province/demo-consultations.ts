import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { actorOf, type Actor } from '@huizhen/auth';
import { DirectoryService } from '@huizhen/directory';
import { ConsultationReportService } from '../../../api/src/consultations/consultation-report.service';
import { ConsultationsService } from '../../../api/src/consultations/consultations.service';
import { IngestService } from '../../../imaging/src/ingest/ingest.service';
import { demoChestRadiograph } from './demo-radiograph';

/**
 * A few consultations in the states people meet first, made through the real services as
 * the demo users (so routing, signing and the audit trail are genuine): one waiting in
 * demo-specialist's queue with a (synthetic) chest radiograph to read, one live consultation
 * claimed (its video room opens), one with a signed report, and a draft whose chest film waits
 * on the township DR's modality worklist.
 */
@Injectable()
export class DemoConsultations {
  private readonly logger = new Logger('DemoConsultations');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly consultations: ConsultationsService,
    private readonly reports: ConsultationReportService,
    private readonly directory: DirectoryService,
    private readonly ingest: IngestService,
  ) {}

  private async actor(username: string): Promise<Actor> {
    const p = await this.directory.practitionerByUsername(username);
    if (!p) throw new Error(`demo login ${username} is missing`);
    return actorOf(p);
  }

  async seed(): Promise<number> {
    const township = await this.actor('demo-township');
    const specialist = await this.actor('demo-specialist');
    const patients: { id: string; name: string; sex: string; birth: string }[] =
      await this.db.query(
        `SELECT id, name, sex, to_char(birth_date, 'YYYYMMDD') AS birth FROM patient WHERE organization_id = $1 ORDER BY created_at, id LIMIT 4`,
        [township.organizationId],
      );
    if (patients.length < 3) return 0;
    // The chest read's radiograph, stored through the archive's own ingest as the township uploaded it.
    const chest = patients[0];
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const image = demoChestRadiograph(
      {
        name: chest.name,
        dicomPatientId: `DEMO-${chest.id.slice(0, 8)}`,
        birthDate: chest.birth,
        sex: chest.sex === 'male' ? 'M' : chest.sex === 'female' ? 'F' : 'O',
      },
      today,
    );
    const stored = await this.ingest.ingest(image, {
      organizationId: township.organizationId,
      actor: township,
      via: 'upload',
    });
    if (!stored.ok) throw new Error(`the demo radiograph was refused: ${stored.message}`);

    const cases = [
      {
        urgency: 'urgent',
        mode: 'imaging_read',
        clinicalQuestion: '咳嗽、发热3天，胸片示右下肺片状阴影，请协助判断是否为肺炎',
        history: '体温38.5℃，血常规白细胞升高；既往体健',
      },
      {
        urgency: 'routine',
        mode: 'both',
        clinicalQuestion: '腹部超声提示肝内低回声占位约2cm，请视频会诊，指导下一步检查',
        history: '乙肝病史10年，近期乏力、食欲减退',
      },
      {
        urgency: 'routine',
        mode: 'imaging_read',
        clinicalQuestion: '外伤后右腕疼痛，X线片请上级医院阅片',
        history: '跌倒时右手撑地，右腕肿胀、压痛',
      },
    ] as const;
    const ids: string[] = [];
    for (const [i, c] of cases.entries()) {
      const studyInstanceUids = i === 0 ? [stored.studyInstanceUid] : undefined;
      ids.push(
        (
          await this.consultations.create(township, {
            ...c,
            patientId: patients[i].id,
            specialty: 'radiology',
            studyInstanceUids,
            submit: true,
          })
        ).id,
      );
    }
    const [, live, read] = ids;
    await this.consultations.claim(specialist, live);
    await this.consultations.claim(specialist, read);
    await this.reports.saveDraft(specialist, read, {
      findings: '右桡骨远端可见横行透亮线，断端轻度背侧移位，腕关节间隙正常',
      impression: '右桡骨远端骨折（Colles骨折）',
      recommendation: 'treat_locally',
      freeText: '建议手法复位后石膏托外固定，4周后复查X线片',
    });
    await this.reports.sign(specialist, read);
    // A draft asking the township's own DR for a chest film: the exam is on the worklist of
    // TOWN01_DR (findscu -W), and the image the DR sends back with its accession attaches itself.
    if (patients[3])
      ids.push(
        (
          await this.consultations.create(township, {
            urgency: 'routine',
            mode: 'imaging_read',
            patientId: patients[3].id,
            specialty: 'radiology',
            clinicalQuestion: '咳嗽两周伴低热，拍胸片后请上级医院阅片',
            history: '无结核接触史，近一周夜间咳嗽加重',
            requestedExam: { modality: 'DX', procedure: '胸部正位 DR' },
          })
        ).id,
      );
    this.logger.log(
      'demo consultations created: 1 in the queue (with a chest radiograph), 1 live (claimed), 1 signed, 1 draft with a chest film on the DR worklist',
    );
    return ids.length;
  }
}

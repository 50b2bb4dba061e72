import PDFDocument from 'pdfkit';
import { RECOMMENDATION_ZH, type Recommendation } from './consultation-terms';

export interface ReportPdfContent {
  consultationId: string;
  requestingOrganization: string;
  readingOrganization: string;
  patient: { name: string; sex: string; birthDate: string };
  specialty: string;
  urgency: string;
  mode: string;
  clinicalQuestion: string;
  studies: string[];
  findings: string;
  impression: string;
  recommendation: Recommendation | null;
  referralOrganization: string | null;
  freeText: string;
  signer: { name: string; title: string | null };
  signedAt: Date;
  fingerprint: string;
  signatureValid: boolean;
  addenda: { text: string; impression: string; signer: string; signedAt: Date; valid: boolean }[];
}

const SEX_ZH: Record<string, string> = { male: '男', female: '女', other: '其他', unknown: '未知' };

/** China Standard Time, as people read dates on a report. */
export function formatChinaTime(d: Date): string {
  const t = new Date(d.getTime() + 8 * 3600_000).toISOString();
  return `${t.slice(0, 10)} ${t.slice(11, 16)}（北京时间）`;
}

/** The signed report as a PDF for the patient file, Chinese set in a CJK font from the machine. */
export function renderReportPdf(
  r: ReportPdfContent,
  font: { data: Buffer; face: string },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 56,
      info: { Title: '远程会诊报告', Subject: `consultation ${r.consultationId}` },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.registerFont('cjk', font.data, font.face);
    doc.font('cjk');

    doc.fontSize(18).text('远程会诊报告', { align: 'center' });
    doc
      .moveDown(0.3)
      .fontSize(10)
      .fillColor('#555')
      .text(`${r.readingOrganization} · 申请机构：${r.requestingOrganization}`, {
        align: 'center',
      });
    doc.fillColor('black').moveDown();

    const field = (label: string, value: string) => {
      doc
        .fontSize(11)
        .text(`${label}：`, { continued: true })
        .text(value || '—');
    };
    const section = (title: string, body: string) => {
      doc.moveDown(0.6).fontSize(13).text(title);
      doc
        .moveDown(0.2)
        .fontSize(11)
        .text(body || '—', { align: 'left' });
    };
    field(
      '患者',
      `${r.patient.name}\u3000${SEX_ZH[r.patient.sex] ?? r.patient.sex}\u3000出生日期 ${r.patient.birthDate}`,
    );
    field('会诊科室', r.specialty);
    field('紧急程度', r.urgency);
    field('会诊方式', r.mode);
    field('会诊编号', r.consultationId);
    section('会诊目的', r.clinicalQuestion);
    section('所阅影像', r.studies.length ? r.studies.join('\n') : '无');
    section('检查所见', r.findings);
    section('诊断意见', r.impression);
    const rec = r.recommendation ? RECOMMENDATION_ZH[r.recommendation] : '—';
    section('处理建议', r.referralOrganization ? `${rec}：${r.referralOrganization}` : rec);
    if (r.freeText) section('补充说明', r.freeText);

    doc.moveDown();
    field('报告医师', `${r.signer.name}${r.signer.title ? `（${r.signer.title}）` : ''}`);
    field('签署时间', formatChinaTime(r.signedAt));
    field(
      '电子签名',
      `Ed25519 ${r.fingerprint}\u3000${r.signatureValid ? '验证通过' : '验证失败'}`,
    );

    for (const [i, a] of r.addenda.entries()) {
      section(
        `补充报告 ${i + 1}`,
        a.text + (a.impression ? `\n更正诊断意见：${a.impression}` : ''),
      );
      doc
        .fontSize(10)
        .text(
          `${a.signer}\u3000${formatChinaTime(a.signedAt)}\u3000${a.valid ? '签名验证通过' : '签名验证失败'}`,
        );
    }
    doc.end();
  });
}

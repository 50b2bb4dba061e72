import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { toDicomJson } from '../dicom-json';
import { parseInstance } from '../parse-instance';
import { writePart10, type ElementToWrite } from '../part10-writer';
import { compareDicomPatient, type RegisteredPatient } from './compare-dicom-patient';
import { dicomPatientHeader } from './dicom-patient-header';
import { compareNames } from './person-name';

const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

const wang: RegisteredPatient = {
  name: '王测试',
  sex: 'male',
  birthDate: '1960-05-12',
  nationalId: '110105196005120015',
};

describe('names: a Chinese registration against the forms a header takes', () => {
  it.each([
    '王测试',
    '王^测试',
    '王 测试',
    'WANG^CESHI',
    'Wang Ce Shi',
    'wangceshi',
    'Wang^Ce Shi',
    'WANG^CESHI=王^测试',
    '=王^测试',
    'Ceshi^Wang',
    'Wáng Cèshì',
    'ＷＡＮＧ^ＣＥＳＨＩ',
  ])('王测试 is %s', (header) => {
    expect(compareNames('王测试', header)).toBe('match');
  });

  it.each([
    'CompressedSamples^CT1',
    '李^测试',
    'LI^CESHI',
    'WANG^CESHE',
    'WANG',
    '王测',
    'ANONYMOUS',
  ])('王测试 is not %s', (header) => {
    expect(compareNames('王测试', header)).toBe('mismatch');
  });

  it.each([null, undefined, '', '   ', '^', '=', '^^^^'])(
    'an empty header name (%p) is unknown',
    (header) => {
      expect(compareNames('王测试', header)).toBe('unknown');
    },
  );

  it('reads polyphonic characters every way and surnames as surnames', () => {
    expect(compareNames('单雄信', 'SHAN^XIONGXIN')).toBe('match');
    expect(compareNames('单雄信', 'DAN^XIONGXIN')).toBe('match');
    expect(compareNames('曾小红', 'ZENG^XIAOHONG')).toBe('match');
    expect(compareNames('重阳', 'CHONG^YANG')).toBe('match');
  });

  it('writes ü as u, v or yu', () => {
    for (const form of ['LU^BU', 'LV^BU', 'LYU^BU', 'Lü Bu'])
      expect(compareNames('吕布', form)).toBe('match');
  });

  it('compares names registered in Latin letters by their letters', () => {
    expect(compareNames('John Smith', 'SMITH^JOHN')).toBe('match');
    expect(compareNames('John Smith', 'SMITH^JANE')).toBe('mismatch');
  });

  it('keeps minority names with their middle dot', () => {
    expect(compareNames('阿依古丽·买买提', '阿依古丽^买买提')).toBe('match');
  });
});

describe('compareDicomPatient', () => {
  it('matches a full header and lists all four fields side by side', () => {
    const m = compareDicomPatient(wang, {
      patientName: 'WANG^CESHI',
      patientId: '110105196005120015',
      sex: 'M',
      birthDate: '19600512',
    });
    expect(m.verdict).toBe('match');
    expect(m.differences).toEqual([]);
    expect(m.fields).toEqual([
      { field: 'name', verdict: 'match', registered: '王测试', header: 'WANG^CESHI' },
      {
        field: 'id',
        verdict: 'match',
        registered: '110105********0015',
        header: '110105196005120015',
      },
      { field: 'sex', verdict: 'match', registered: 'male', header: 'M' },
      { field: 'birthDate', verdict: 'match', registered: '1960-05-12', header: '1960-05-12' },
    ]);
  });

  it('names every field that disagrees', () => {
    const m = compareDicomPatient(wang, {
      patientName: '李^四',
      patientId: '11010519491231002X',
      sex: 'F',
      birthDate: '19491231',
    });
    expect(m.verdict).toBe('mismatch');
    expect(m.differences.map((d) => [d.field, d.registered, d.header])).toEqual([
      ['name', '王测试', '李^四'],
      ['id', '110105********0015', '11010519491231002X'],
      ['sex', 'male', 'F'],
      ['birthDate', '1960-05-12', '1949-12-31'],
    ]);
  });

  it('takes a missing field as unknown, not as a difference', () => {
    expect(compareDicomPatient(wang, { patientName: 'WANG^CESHI' })).toMatchObject({
      verdict: 'match',
      differences: [],
    });
    const empty = compareDicomPatient(wang, {});
    expect(empty.verdict).toBe('unknown');
    expect(empty.fields.map((f) => f.verdict)).toEqual([
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ]);
    // Sex alone identifies nobody.
    expect(compareDicomPatient(wang, { sex: 'M', birthDate: '' }).verdict).toBe('unknown');
  });

  it('does not hold a local PACS number against a patient registered by national ID alone', () => {
    const m = compareDicomPatient(wang, { patientName: '王^测试', patientId: 'CT20261207001' });
    expect(m.verdict).toBe('match');
    expect(m.fields[1]).toMatchObject({ verdict: 'unknown', header: 'CT20261207001' });
  });

  it('compares record numbers (a worklist Patient ID) and finds them among other IDs', () => {
    const withRecord = { ...wang, nationalId: null, recordNumbers: ['MR-0042'] };
    expect(compareDicomPatient(withRecord, { patientId: 'mr-0042 ' }).verdict).toBe('match');
    expect(compareDicomPatient(withRecord, { patientId: 'MR-0043' }).differences).toHaveLength(1);
    expect(
      compareDicomPatient(wang, { patientId: 'X1', otherPatientIds: ['110105196005120015'] })
        .verdict,
    ).toBe('match');
  });

  it('reads O as an unentered sex and an impossible date as unknown', () => {
    const m = compareDicomPatient(wang, {
      patientName: 'WANG^CESHI',
      sex: 'O',
      birthDate: '00000000',
    });
    expect(m.verdict).toBe('match');
    expect(compareDicomPatient({ ...wang, sex: 'other' }, { sex: 'O' }).fields[2].verdict).toBe(
      'match',
    );
    expect(compareDicomPatient(wang, { birthDate: '1960.05.12' }).fields[3].verdict).toBe('match');
  });
});

describe('headers read from real DICOM files', () => {
  const base: ElementToWrite[] = [
    { tag: '00080016', vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: '00080018', vr: 'UI', value: '2.25.7001' },
    { tag: '0020000D', vr: 'UI', value: '2.25.7002' },
    { tag: '0020000E', vr: 'UI', value: '2.25.7003' },
    { tag: '00100020', vr: 'LO', value: '110105196005120015' },
    { tag: '00100030', vr: 'DA', value: '19600512' },
    { tag: '00100040', vr: 'CS', value: 'M' },
  ];
  const headerOf = (elements: ElementToWrite[]) => {
    const p = parseInstance(writePart10([...base, ...elements]));
    return dicomPatientHeader(toDicomJson(p.dataSet, p.charsets, { inlineBinaryLimit: 0 }));
  };
  const gb = (hex: string) => Buffer.from(hex, 'hex');

  it('GB18030', () => {
    const h = headerOf([
      { tag: '00080005', vr: 'CS', value: 'GB18030' },
      // 王^测试 in GB18030.
      {
        tag: '00100010',
        vr: 'PN',
        value: Buffer.concat([gb('cdf5'), Buffer.from('^'), gb('b2e2cad4')]),
      },
    ]);
    expect(h.patientName).toBe('王^测试');
    expect(compareDicomPatient(wang, h).verdict).toBe('match');
  });

  it('UTF-8 (ISO_IR 192) with an alphabetic and an ideographic group', () => {
    const h = headerOf([
      { tag: '00080005', vr: 'CS', value: 'ISO_IR 192' },
      { tag: '00100010', vr: 'PN', value: 'Wang^Ceshi=王^测试' },
    ]);
    expect(h).toMatchObject({ patientName: 'Wang^Ceshi=王^测试', sex: 'M', birthDate: '19600512' });
    expect(compareDicomPatient(wang, h).verdict).toBe('match');
  });

  it('ISO 2022 IR 58 (GB2312 through code extensions)', () => {
    const esc = Buffer.from([0x1b, 0x24, 0x29, 0x41]); // ESC $ ) A: GB2312 into G1
    const h = headerOf([
      { tag: '00080005', vr: 'CS', value: '\\ISO 2022 IR 58' },
      {
        tag: '00100010',
        vr: 'PN',
        value: Buffer.concat([
          Buffer.from('WANG^CESHI='),
          esc,
          gb('cdf5'),
          Buffer.from('^'),
          esc,
          gb('b2e2cad4'),
        ]),
      },
    ]);
    expect(h.patientName).toBe('WANG^CESHI=王^测试');
    expect(compareDicomPatient(wang, h).verdict).toBe('match');
  });

  it('pydicom’s CT_small.dcm (CompressedSamples^CT1) is not 王测试', () => {
    const p = parseInstance(readFileSync(`${PYDICOM_FILES}/CT_small.dcm`));
    const h = dicomPatientHeader(toDicomJson(p.dataSet, p.charsets, { inlineBinaryLimit: 0 }));
    const m = compareDicomPatient(wang, h);
    expect(m.verdict).toBe('mismatch');
    expect(m.differences[0]).toMatchObject({
      field: 'name',
      registered: '王测试',
      header: 'CompressedSamples^CT1',
    });
  });
});

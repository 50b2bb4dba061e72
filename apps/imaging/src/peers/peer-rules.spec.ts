import { describe, expect, it } from '@jest/globals';
import { isAeTitle, isDicomwebBaseUrl, isHost } from './peer-rules';

describe('peer address rules', () => {
  it('AE titles: 1-16 characters of the default repertoire, no backslash, no control, not blank', () => {
    for (const ok of ['TOWN01_DR', 'A', 'ORTHANC', 'SIXTEEN_CHARS_16', 'CT 1', 'a-b.c@d'])
      expect([ok, isAeTitle(ok)]).toEqual([ok, true]);
    for (const bad of [
      '',
      '   ',
      'SEVENTEEN_CHARS_X',
      'A\\B',
      'A\tB',
      'CT\n',
      ' LEAD',
      'TRAIL ',
      '影像',
    ])
      expect([bad, isAeTitle(bad)]).toEqual([bad, false]);
  });

  it('hosts: DNS names and IP literals only', () => {
    for (const ok of ['pacs.county.local', '10.0.0.7', 'localhost', '::1', 'fe80::1'])
      expect([ok, isHost(ok)]).toEqual([ok, true]);
    for (const bad of ['', '999.1.1.1', 'bad_host', '-x.example', 'a b', 'http://x'])
      expect([bad, isHost(bad)]).toEqual([bad, false]);
  });

  it('DICOMweb base URLs: http(s), no credentials, query or fragment', () => {
    expect(isDicomwebBaseUrl('https://pacs.example/dicom-web')).toBe(true);
    expect(isDicomwebBaseUrl('http://10.0.0.7:8042/dicom-web/')).toBe(true);
    for (const bad of [
      'ftp://x/dicom-web',
      'https://user:pass@x/dicom-web',
      'https://x/dicom-web?token=1',
      'https://x/#a',
      'not a url',
    ])
      expect([bad, isDicomwebBaseUrl(bad)]).toEqual([bad, false]);
  });
});

/**
 * Errors in the user's language (issue 20, point 3), as the web renders them
 * (apps/web/src/api/error-text.ts, behind every page's errorMessage): every catalogued error code
 * in zh-CN and en-US gives the dictionary's words, never the server's English message; failures
 * without a code get their status's words; a refused DICOM file is told by its failure reason.
 */
import { describe, expect, it } from '@jest/globals';
import { ERROR_CODE_LIST, ERROR_CODES } from '@huizhen/contract';
import { ToldError, errorText } from '../../apps/web/src/api/error-text';
import { ApiError } from '../../apps/web/src/api/http';
import { UploadRefusal, uploadRefusalKind } from '../../apps/web/src/api/imaging-upload';
import { enUS, format, zhCN, type MessageKey } from '../../apps/web/src/i18n/messages';

const HAN = /\p{Script=Han}/u;
const words =
  (dict: Record<string, string>) => (key: MessageKey, vars?: Record<string, string | number>) => {
    const text = dict[key];
    if (text === undefined) throw new Error(`no words for ${key}`);
    return format(text, vars);
  };
const zh = words(zhCN);
const en = words(enUS);
const SERVER_TEXT = 'the server says this in English: do not show it';

describe('the web says an API error in the user’s language', () => {
  it.each(ERROR_CODE_LIST)('%s in Chinese and English, not the server’s message', (code) => {
    const error = new ApiError(ERROR_CODES[code].statuses[0], 'Error', SERVER_TEXT, { code });
    const chinese = errorText(zh, error);
    const english = errorText(en, error);
    expect(chinese).toMatch(HAN);
    expect(chinese).not.toContain(SERVER_TEXT);
    expect(english.length).toBeGreaterThan(0);
    expect(english).not.toContain(SERVER_TEXT);
    expect(english).not.toBe(`errorCode.${code}`);
  });

  it('the issue’s examples read as a township doctor would want them', () => {
    const coded = (status: number, code: string) =>
      new ApiError(status, 'Error', SERVER_TEXT, { code });
    expect(errorText(zh, coded(401, 'invalid_credentials'))).toBe('用户名或密码不正确');
    expect(errorText(zh, coded(400, 'invalid_national_id'))).toContain('身份证号');
    expect(errorText(zh, coded(409, 'consultation_not_live'))).toContain('不需要预约');
    expect(errorText(zh, coded(409, 'patient_mismatch'))).toContain('填写原因');
  });

  it('failures without a code: validation names its fields, statuses say what to do', () => {
    const invalid = new ApiError(400, 'Bad Request', 'name must be shorter', {
      fields: [{ field: 'name', problems: ['name must be shorter'] }],
    });
    expect(errorText(zh, invalid)).toBe('以下内容填写有误，请检查后重试：name');
    expect(errorText(zh, new ApiError(0, 'NetworkError', 'fetch failed'))).toMatch(HAN);
    for (const status of [400, 401, 403, 404, 409, 413, 500, 502, 418]) {
      const text = errorText(zh, new ApiError(status, 'Error', SERVER_TEXT));
      expect({ status, han: HAN.test(text), leaked: text.includes(SERVER_TEXT) }).toEqual({
        status,
        han: true,
        leaked: false,
      });
    }
    expect(errorText(zh, new Error(SERVER_TEXT))).toBe(zhCN['error.unknown']);
    // Our own words (a question the page asks before the same save again) are shown as they are.
    const asked = format(zhCN['rot.bookingsAffected'], { n: 1 });
    expect(errorText(zh, new ToldError(asked))).toBe(asked);
  });

  it('a refused DICOM file is told by its failure reason, not dicom-parser’s English', () => {
    const refusal = (reason: number | null, status = 409) =>
      uploadRefusalKind(
        new UploadRefusal(reason, status, 'file is truncated: dicomParser: buffer overrun'),
      );
    expect(refusal(0xc000)).toBe('unparseable');
    expect(refusal(0xa900)).toBe('inconsistent');
    expect(refusal(0xa700)).toBe('storage');
    expect(refusal(0x0111)).toBe('duplicate');
    expect(refusal(0xc122)).toBe('transferSyntax');
    expect(refusal(null, 403)).toBe('forbidden');
    expect(refusal(null)).toBe('other');
    for (const kind of [
      'unparseable',
      'inconsistent',
      'storage',
      'duplicate',
      'forbidden',
      'transferSyntax',
      'other',
    ] as const) {
      expect(zh(`upload.refused.${kind}`)).toMatch(HAN);
      expect(en(`upload.refused.${kind}`).length).toBeGreaterThan(0);
    }
  });
});

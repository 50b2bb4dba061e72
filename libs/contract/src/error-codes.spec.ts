import { describe, expect, it } from '@jest/globals';
import { HttpStatus } from '@nestjs/common';
import { ERROR_CODES, isErrorCode } from './errors';
import { callArguments, lineOf, serverSources } from './source-scan';

/**
 * DomainErrors whose code is not a literal, by the expression passed: where their codes come
 * from (the file's text, all sources). A new such expression fails the test until it is listed
 * here; a listed one that yields no code fails too.
 */
const INDIRECT: Record<string, (file: string, sources: Map<string, string>) => string[]> = {
  // takeAppointment's refuse('code', message) helper, in the same file.
  code: (file, s) =>
    [...(s.get(file) ?? '').matchAll(/refuse\(\s*'([a-z0-9_]+)'/g)].map((m) => m[1]),
  // A RecurrenceError's code (its RecurrenceProblem union) answered as the DomainError's.
  'e.code': (_file, s) => {
    for (const text of s.values()) {
      const union = /type RecurrenceProblem\s*=([^;]+);/.exec(text);
      if (union) return [...union[1].matchAll(/'([a-z0-9_]+)'/g)].map((m) => m[1]);
    }
    return [];
  },
};

interface Thrown {
  code: string;
  status: number | null;
  at: string;
}

function statusOf(arg: string): number | null {
  const named = /^HttpStatus\.([A-Z_]+)$/.exec(arg);
  if (named) return (HttpStatus as unknown as Record<string, number>)[named[1]] ?? null;
  return /^\d{3}$/.test(arg) ? Number(arg) : null;
}

function thrownCodes(): { thrown: Thrown[]; unexplained: string[] } {
  const sources = serverSources();
  const thrown: Thrown[] = [];
  const unexplained: string[] = [];
  for (const [file, text] of sources) {
    for (const m of text.matchAll(/new DomainError\(/g)) {
      const open = m.index + m[0].length;
      const [codeArg, statusArg] = callArguments(text, open, 2);
      const at = `${file}:${lineOf(text, m.index)}`;
      const status = statusOf(statusArg ?? '');
      const literal = /^'([^']*)'$/.exec(codeArg ?? '');
      if (literal) {
        thrown.push({ code: literal[1], status, at });
        continue;
      }
      const codes = INDIRECT[codeArg ?? '']?.(file, sources) ?? [];
      if (!codes.length) {
        unexplained.push(
          `${at}: new DomainError(${codeArg}, …): a code that is not a literal; list where its codes come from in INDIRECT`,
        );
        continue;
      }
      for (const code of codes) thrown.push({ code, status, at });
    }
  }
  return { thrown, unexplained };
}

describe('the error-code catalogue (libs/contract ERROR_CODES)', () => {
  const { thrown, unexplained } = thrownCodes();

  it('finds the thrown codes', () => {
    expect(thrown.length).toBeGreaterThan(100);
    expect(unexplained).toEqual([]);
  });

  it('lists every code the server throws, with the status it is thrown with', () => {
    const problems = thrown.flatMap((t) => {
      if (!isErrorCode(t.code))
        return [`${t.at}: '${t.code}' is not in the catalogue (libs/contract/src/errors.ts)`];
      const statuses: readonly number[] = ERROR_CODES[t.code].statuses;
      if (t.status === null)
        return [`${t.at}: '${t.code}': its status is not an HttpStatus name or a number`];
      if (!statuses.includes(t.status))
        return [
          `${t.at}: '${t.code}' thrown with ${t.status}, catalogued with ${statuses.join(', ')}`,
        ];
      return [];
    });
    expect(problems).toEqual([]);
  });

  it('lists only codes that are thrown somewhere', () => {
    const seen = new Set(thrown.map((t) => t.code));
    expect(Object.keys(ERROR_CODES).filter((c) => !seen.has(c))).toEqual([]);
  });

  it('says what each means, with error statuses only', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect([code, entry.meaning.length > 5]).toEqual([code, true]);
      expect([code, entry.statuses.every((s) => s >= 400 && s < 600)]).toEqual([code, true]);
    }
  });
});

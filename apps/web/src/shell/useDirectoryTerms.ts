import { useEffect, useState } from 'react';
import { termsApi } from '../api/directory';
import type { DirectoryTerms } from '../api/types';
import { useI18n, type Lang } from '../i18n/I18nProvider';

let cached: Promise<DirectoryTerms> | null = null;

/** The directory's code lists, read once per page load (they change with releases, not with use). */
export function useDirectoryTerms(): DirectoryTerms | null {
  const [terms, setTerms] = useState<DirectoryTerms | null>(null);
  useEffect(() => {
    let live = true;
    cached ??= termsApi.get().catch((e) => {
      cached = null;
      throw e;
    });
    cached.then(
      (t) => live && setTerms(t),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return terms;
}

/** Specialty names come from the server in Chinese; English shows the code in words. */
export function specialtyLabel(
  code: string | null | undefined,
  terms: DirectoryTerms | null,
  lang: Lang,
): string | null {
  if (!code) return null;
  if (lang === 'zh-CN' && terms?.specialties[code]) return terms.specialties[code];
  return code.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

export function useSpecialtyLabel() {
  const terms = useDirectoryTerms();
  const { lang } = useI18n();
  return {
    terms,
    label: (code: string | null | undefined) => specialtyLabel(code, terms, lang),
    options: Object.keys(terms?.specialties ?? {}).map((code) => ({
      value: code,
      label: specialtyLabel(code, terms, lang) ?? code,
    })),
  };
}

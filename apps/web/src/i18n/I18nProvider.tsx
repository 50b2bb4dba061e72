import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { ConfigProvider } from 'antd';
import zhCNAntd from 'antd/locale/zh_CN';
import enUSAntd from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { enUS, format, zhCN, type MessageKey } from './messages';

export type Lang = 'zh-CN' | 'en-US';
const KEY = 'huizhen.lang';

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: Translate;
}

const I18nContext = createContext<I18n | null>(null);

function initialLang(): Lang {
  try {
    return localStorage.getItem(KEY) === 'en-US' ? 'en-US' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  dayjs.locale(lang === 'zh-CN' ? 'zh-cn' : 'en');
  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(KEY, next);
    document.documentElement.lang = next;
    setLangState(next);
  }, []);
  const t = useCallback<Translate>(
    (key, vars) => format((lang === 'zh-CN' ? zhCN : enUS)[key] ?? key, vars),
    [lang],
  );
  const value = useMemo(() => ({ lang, setLang, t }), [lang, setLang, t]);
  return (
    <I18nContext.Provider value={value}>
      <ConfigProvider
        locale={lang === 'zh-CN' ? zhCNAntd : enUSAntd}
        button={{ autoInsertSpace: false }}
        theme={{
          token: {
            colorPrimary: '#1f6feb',
            borderRadius: 6,
            fontFamily:
              '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif',
          },
        }}
      >
        {children}
      </ConfigProvider>
    </I18nContext.Provider>
  );
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}

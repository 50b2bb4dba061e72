import { Spin } from 'antd';
import { useI18n } from '../i18n/I18nProvider';
import type { ViewerState, Window } from './useStackViewport';

/** Over the image: which image of how many and the window (bottom left), and a spinner while loading. */
export function ViewportOverlay({
  state,
  index,
  count,
  win,
}: {
  state: ViewerState;
  index: number;
  count: number;
  win: Window | null;
}) {
  const { t } = useI18n();
  return (
    <>
      <div
        style={{
          position: 'absolute',
          left: 8,
          bottom: 6,
          color: '#e6e6e6',
          fontSize: 12,
          pointerEvents: 'none',
          textShadow: '0 0 2px #000',
        }}
      >
        <div data-testid="viewer-index">
          {t('viewer.image')} {count ? index + 1 : 0} / {count}
        </div>
        {win ? (
          <div data-testid="viewer-window">
            {t('viewer.window', { width: Math.round(win.width), center: Math.round(win.center) })}
          </div>
        ) : null}
      </div>
      {state === 'loading' ? (
        <div
          style={{
            position: 'absolute',
            inset: 0,
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'center',
            color: '#fff',
          }}
        >
          <Spin />
          <span style={{ marginInlineStart: 8 }}>{t('viewer.loading')}</span>
        </div>
      ) : null}
    </>
  );
}

import { Button, InputNumber, Segmented, Select, Space, Tooltip } from 'antd';
import { useI18n } from '../i18n/I18nProvider';
import { WINDOW_PRESETS } from './presets';
import type { useCine, usePrimaryTool, useWindowPreset } from './useViewerControls';
import { PRIMARY_TOOLS, type PrimaryTool } from './viewer-tools';

export interface ViewerToolbarProps {
  ready: boolean;
  /** Where the stack stands: image index and how many. */
  index: number;
  count: number;
  tools: ReturnType<typeof usePrimaryTool>;
  presets: ReturnType<typeof useWindowPreset>;
  cine: ReturnType<typeof useCine>;
  step: (delta: number) => void;
}

/** Tools, window presets, reset, previous/next image, cine and its speed. */
export function ViewerToolbar({
  ready,
  index,
  count,
  tools,
  presets,
  cine,
  step,
}: ViewerToolbarProps) {
  const { t } = useI18n();
  return (
    <Space wrap size={8} style={{ marginBottom: 8 }}>
      <Segmented<PrimaryTool>
        data-testid="viewer-tools"
        value={tools.tool}
        onChange={tools.chooseTool}
        disabled={!ready}
        options={PRIMARY_TOOLS.map((k) => ({ value: k, label: t(`viewer.tool.${k}`) }))}
      />
      <Select
        data-testid="viewer-preset"
        value={presets.preset}
        style={{ width: 120 }}
        disabled={!ready}
        onChange={presets.applyPreset}
        options={[
          { value: 'default', label: t('viewer.preset.default') },
          ...WINDOW_PRESETS.map((p) => ({
            value: p.id,
            label: t(p.label as 'viewer.preset.lung'),
          })),
        ]}
      />
      <Button onClick={presets.reset} disabled={!ready}>
        {t('viewer.reset')}
      </Button>
      <Button onClick={() => step(-1)} disabled={!ready || index === 0} data-testid="viewer-prev">
        {t('viewer.prev')}
      </Button>
      <Button
        onClick={() => step(1)}
        disabled={!ready || index >= count - 1}
        data-testid="viewer-next"
      >
        {t('viewer.next')}
      </Button>
      <Button
        onClick={cine.togglePlay}
        disabled={!ready || count < 2}
        type={cine.playing ? 'primary' : 'default'}
        data-testid="viewer-cine"
      >
        {cine.playing ? t('viewer.pause') : t('viewer.play')}
      </Button>
      <Tooltip title={t('viewer.fps')}>
        <InputNumber
          min={1}
          max={60}
          value={cine.fps}
          onChange={(v) => cine.setFps(v ?? 10)}
          style={{ width: 90 }}
          suffix={t('viewer.fps')}
          disabled={cine.playing}
        />
      </Tooltip>
    </Space>
  );
}

import { App, Button, Space, Tabs, Typography } from 'antd';
import { useState } from 'react';
import { organizationsApi } from '../api/directory';
import { useI18n } from '../i18n/I18nProvider';
import { useApiData } from '../shell/useApiData';
import { PlannerPanel } from './PlannerPanel';
import { RotationCalendar } from './RotationCalendar';
import { ShiftFormModal, type ShiftDraft } from './ShiftFormModal';

/** The hub coordinator's rotation roster: calendar of shifts (create, incl. recurring) and the planner. */
export function RotationsPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const orgs = useApiData(() => organizationsApi.list(), []);
  const [draft, setDraft] = useState<ShiftDraft | null>(null);
  const [open, setOpen] = useState(false);
  const [reloadKey, setReloadKey] = useState(0);
  const organizations = orgs.data?.items ?? [];
  const create = (d: ShiftDraft | null) => {
    setDraft(d);
    setOpen(true);
  };
  return (
    <div style={{ display: 'grid', gap: 12 }}>
      <Space style={{ justifyContent: 'space-between', width: '100%' }}>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {t('rot.title')}
        </Typography.Title>
        <Button type="primary" data-testid="new-shift" onClick={() => create(null)}>
          {t('rot.newShift')}
        </Button>
      </Space>
      <Tabs
        items={[
          {
            key: 'calendar',
            label: t('rot.calendarTab'),
            children: (
              <RotationCalendar
                organizations={organizations}
                reloadKey={reloadKey}
                onCreate={create}
              />
            ),
          },
          {
            key: 'planner',
            label: t('rot.plannerTab'),
            children: (
              <PlannerPanel
                organizations={organizations}
                onAccepted={() => setReloadKey((k) => k + 1)}
              />
            ),
          },
        ]}
      />
      <ShiftFormModal
        open={open}
        draft={draft}
        organizations={organizations}
        onClose={() => setOpen(false)}
        onCreated={(s) => {
          setOpen(false);
          setReloadKey((k) => k + 1);
          message.success(t('rot.created', { n: s.occurrences.length }));
        }}
      />
    </div>
  );
}

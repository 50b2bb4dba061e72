import {
  Alert,
  Checkbox,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Select,
  Space,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useMemo, useState } from 'react';
import { practitionersApi } from '../api/directory';
import { schedulingApi, SHIFT_MODES, type Shift, type ShiftMode } from '../api/scheduling';
import type { Organization, Practitioner } from '../api/types';
import { useI18n } from '../i18n/I18nProvider';
import { errorMessage } from '../shell/States';
import { specialtyLabel, useDirectoryTerms } from '../shell/useDirectoryTerms';
import {
  describeRecurrence,
  REPEATS,
  toRrule,
  WEEKDAYS,
  weekdayOf,
  type Repeat,
  type Weekday,
} from './recurrence';

export interface ShiftDraft {
  date: Dayjs;
  startTime: string;
  endTime: string;
}

interface Values {
  specialistId: string;
  hostOrganizationIds: string[];
  mode: ShiftMode;
  date: Dayjs;
  startTime: string;
  endTime: string;
  slotMinutes: number;
  slotCapacity: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  repeat: Repeat;
  weekdays: Weekday[];
  endKind: 'count' | 'until';
  count: number;
  until?: Dayjs;
  note?: string;
}

/** Quarter hours from 06:00 to 22:00. */
export const QUARTER_HOURS = Array.from({ length: 65 }, (_, i) => {
  const m = 6 * 60 + i * 15;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
});

export function ShiftFormModal({
  open,
  draft,
  organizations,
  onClose,
  onCreated,
}: {
  open: boolean;
  draft: ShiftDraft | null;
  organizations: Organization[];
  onClose: () => void;
  onCreated: (s: Shift) => void;
}) {
  const { t, lang } = useI18n();
  const terms = useDirectoryTerms();
  const [form] = Form.useForm<Values>();
  const [specialists, setSpecialists] = useState<Practitioner[]>([]);
  const [search, setSearch] = useState('');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    let live = true;
    const timer = setTimeout(() => {
      practitionersApi.list({ role: 'specialist', q: search || undefined, limit: 50 }).then(
        (p) => live && setSpecialists(p.items),
        () => undefined,
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [open, search]);

  useEffect(() => {
    if (!open) return;
    setError(null);
    const date = draft?.date ?? dayjs().add(1, 'day');
    form.resetFields();
    form.setFieldsValue({
      date,
      startTime: draft?.startTime ?? '09:00',
      endTime: draft?.endTime ?? '12:00',
      weekdays: [weekdayOf(((date.day() + 6) % 7) + 1)],
    });
  }, [open, draft, form]);

  const orgName = useMemo(() => new Map(organizations.map((o) => [o.id, o.name])), [organizations]);
  const hostOptions = organizations
    .filter((o) => o.level === 'township_health_centre' || o.level === 'village_clinic')
    .map((o) => ({ value: o.id, label: o.name }));
  const values = Form.useWatch([], form) as Partial<Values> | undefined;
  const rrule = values?.repeat
    ? toRrule({
        repeat: values.repeat,
        weekdays: values.weekdays,
        endKind: values.endKind,
        count: values.count,
        until: values.until?.format('YYYY-MM-DD'),
      })
    : null;

  const submit = async () => {
    const v = await form.validateFields();
    setSaving(true);
    setError(null);
    try {
      const date = v.date.format('YYYY-MM-DD');
      const shift = await schedulingApi.createShift({
        specialistId: v.specialistId,
        hostOrganizationIds: v.hostOrganizationIds,
        mode: v.mode,
        start: `${date}T${v.startTime}`,
        end: `${date}T${v.endTime}`,
        rrule: toRrule({
          repeat: v.repeat,
          weekdays: v.weekdays,
          endKind: v.endKind,
          count: v.count,
          until: v.until?.format('YYYY-MM-DD'),
        }),
        slotMinutes: v.slotMinutes,
        slotCapacity: v.slotCapacity,
        bufferBeforeMinutes: v.bufferBeforeMinutes,
        bufferAfterMinutes: v.bufferAfterMinutes,
        ...(v.note ? { note: v.note } : {}),
      });
      onCreated(shift);
    } catch (e) {
      setError(errorMessage(t, e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title={t('rot.newShift')}
      width={720}
      onCancel={onClose}
      onOk={() => void submit().catch(() => undefined)}
      okText={t('common.save')}
      confirmLoading={saving}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="horizontal"
        labelCol={{ span: 5 }}
        data-testid="shift-form"
        initialValues={{
          mode: 'remote_block',
          slotMinutes: 30,
          slotCapacity: 1,
          bufferBeforeMinutes: 0,
          bufferAfterMinutes: 0,
          repeat: 'weekly',
          endKind: 'count',
          count: 8,
        }}
      >
        {error ? (
          <Alert
            data-testid="form-error"
            type="error"
            showIcon
            title={error}
            style={{ marginBottom: 12 }}
          />
        ) : null}
        <Form.Item
          name="specialistId"
          label={t('rot.specialist')}
          rules={[{ required: true, message: t('rot.required') }]}
        >
          <Select
            showSearch={{ filterOption: false, onSearch: setSearch }}
            placeholder={t('rot.specialistPlaceholder')}
            options={specialists.map((p) => ({
              value: p.id,
              label: `${p.displayName} · ${specialtyLabel(p.specialty, terms, lang) ?? ''} · ${orgName.get(p.organizationId) ?? ''}`,
            }))}
          />
        </Form.Item>
        <Form.Item
          name="hostOrganizationIds"
          label={t('rot.hosts')}
          rules={[{ required: true, message: t('rot.required') }]}
          extra={t('rot.hostsHint')}
        >
          <Select
            mode="multiple"
            showSearch={{ optionFilterProp: 'label' }}
            options={hostOptions}
            placeholder={t('rot.hostsPlaceholder')}
          />
        </Form.Item>
        <Form.Item name="mode" label={t('rot.mode')}>
          <Radio.Group
            options={SHIFT_MODES.map((m) => ({ value: m, label: t(`rot.mode.${m}`) }))}
          />
        </Form.Item>
        <Form.Item label={t('rot.when')} required>
          <Space wrap>
            <Form.Item name="date" noStyle rules={[{ required: true, message: t('rot.required') }]}>
              <DatePicker aria-label={t('rot.date')} allowClear={false} />
            </Form.Item>
            <Form.Item name="startTime" noStyle>
              <Select
                aria-label={t('rot.startTime')}
                showSearch
                style={{ width: 100 }}
                options={QUARTER_HOURS.map((x) => ({ value: x, label: x }))}
              />
            </Form.Item>
            <span>—</span>
            <Form.Item
              name="endTime"
              noStyle
              dependencies={['startTime']}
              rules={[
                ({ getFieldValue }) => ({
                  validator: (_, v: string) =>
                    v > getFieldValue('startTime')
                      ? Promise.resolve()
                      : Promise.reject(new Error(t('rot.endAfterStart'))),
                }),
              ]}
            >
              <Select
                aria-label={t('rot.endTime')}
                showSearch
                style={{ width: 100 }}
                options={QUARTER_HOURS.map((x) => ({ value: x, label: x }))}
              />
            </Form.Item>
          </Space>
        </Form.Item>
        <Form.Item label={t('rot.slots')}>
          <Space wrap>
            <Form.Item name="slotMinutes" noStyle>
              <InputNumber
                aria-label={t('rot.slotMinutes')}
                min={5}
                max={480}
                suffix={t('rot.minutes')}
                style={{ width: 130 }}
              />
            </Form.Item>
            <span>{t('rot.perSlot')}</span>
            <Form.Item name="slotCapacity" noStyle>
              <InputNumber aria-label={t('rot.capacity')} min={1} max={50} style={{ width: 80 }} />
            </Form.Item>
            <span>{t('rot.bookings')}</span>
          </Space>
        </Form.Item>
        <Form.Item name="repeat" label={t('rot.repeat')}>
          <Radio.Group
            optionType="button"
            options={REPEATS.map((r) => ({ value: r, label: t(`rot.repeat.${r}`) }))}
          />
        </Form.Item>
        {values?.repeat === 'weekly' || values?.repeat === 'biweekly' ? (
          <Form.Item
            name="weekdays"
            label={t('rot.weekdays')}
            rules={[{ required: true, message: t('rot.required') }]}
          >
            <Checkbox.Group
              options={WEEKDAYS.map((d) => ({ value: d, label: t(`rot.weekday.${d}`) }))}
            />
          </Form.Item>
        ) : null}
        {values?.repeat && values.repeat !== 'none' ? (
          <Form.Item label={t('rot.ends')}>
            <Space wrap>
              <Form.Item name="endKind" noStyle>
                <Radio.Group
                  options={[
                    { value: 'count', label: t('rot.endCount') },
                    { value: 'until', label: t('rot.endUntil') },
                  ]}
                />
              </Form.Item>
              {values.endKind === 'until' ? (
                <Form.Item
                  name="until"
                  noStyle
                  rules={[{ required: true, message: t('rot.required') }]}
                >
                  <DatePicker aria-label={t('rot.untilDate')} />
                </Form.Item>
              ) : (
                <Form.Item name="count" noStyle>
                  <InputNumber
                    aria-label={t('rot.occurrences')}
                    min={1}
                    max={200}
                    suffix={t('rot.times')}
                    style={{ width: 110 }}
                  />
                </Form.Item>
              )}
            </Space>
          </Form.Item>
        ) : null}
        <Form.Item label={t('rot.buffers')} extra={t('rot.buffersHint')}>
          <Space>
            <Form.Item name="bufferBeforeMinutes" noStyle>
              <InputNumber
                aria-label={t('rot.bufferBefore')}
                min={0}
                max={720}
                prefix={t('rot.before')}
                suffix={t('rot.minutes')}
                style={{ width: 160 }}
              />
            </Form.Item>
            <Form.Item name="bufferAfterMinutes" noStyle>
              <InputNumber
                aria-label={t('rot.bufferAfter')}
                min={0}
                max={720}
                prefix={t('rot.after')}
                suffix={t('rot.minutes')}
                style={{ width: 160 }}
              />
            </Form.Item>
          </Space>
        </Form.Item>
        <Form.Item name="note" label={t('rot.note')}>
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
        {values?.repeat ? (
          <Form.Item label={t('rot.preview')}>
            <Typography.Text data-testid="recurrence-preview">
              {describeRecurrence(
                {
                  repeat: values.repeat,
                  weekdays: values.weekdays,
                  endKind: values.endKind,
                  count: values.count,
                  until: values.until?.format('YYYY-MM-DD'),
                },
                t,
              )}
            </Typography.Text>
            {rrule ? (
              <Typography.Text type="secondary" code style={{ marginInlineStart: 8 }}>
                {rrule}
              </Typography.Text>
            ) : null}
          </Form.Item>
        ) : null}
      </Form>
    </Modal>
  );
}

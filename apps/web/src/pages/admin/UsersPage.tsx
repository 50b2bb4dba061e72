import { Button, Form, Input, Select, Space, Switch, Tag } from 'antd';
import { useMemo, useState } from 'react';
import { organizationsApi, practitionersApi } from '../../api/directory';
import {
  PRACTITIONER_TITLES,
  ROLES,
  type Practitioner,
  type PractitionerChanges,
  type PractitionerInput,
  type Role,
} from '../../api/types';
import { useI18n } from '../../i18n/I18nProvider';
import { useApiData } from '../../shell/useApiData';
import { useSpecialtyLabel } from '../../shell/useDirectoryTerms';
import { AdminPanel, AdminTable } from './AdminTable';
import { FormModal } from '../../shell/FormModal';

interface FormValues {
  username: string;
  password?: string;
  displayName: string;
  organizationId: string;
  roles: Role[];
  specialty?: string;
  title?: PractitionerInput['title'];
  active?: boolean;
}

function UserForm({
  initial,
  orgOptions,
  onSaved,
  onCancel,
}: {
  initial: Practitioner | null;
  orgOptions: { value: string; label: string }[];
  onSaved: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<FormValues>();
  const specialties = useSpecialtyLabel();
  const save = async (v: FormValues) => {
    const common = {
      displayName: v.displayName.trim(),
      organizationId: v.organizationId,
      roles: v.roles,
      specialty: v.specialty ?? null,
      title: v.title ?? null,
    } satisfies PractitionerChanges;
    if (initial) await practitionersApi.update(initial.id, { ...common, active: v.active ?? true });
    else
      await practitionersApi.create({
        ...common,
        username: v.username.trim().toLowerCase(),
        // Required by the form when creating (its rule), so present here.
        password: v.password ?? '',
      });
  };
  return (
    <FormModal
      title={initial ? t('user.edit') : t('user.create')}
      form={form}
      initialValues={
        initial
          ? {
              ...initial,
              specialty: initial.specialty ?? undefined,
              title: initial.title ?? undefined,
              active: initial.active !== false,
            }
          : { roles: [] }
      }
      save={save}
      onSaved={onSaved}
      onCancel={onCancel}
      width={600}
    >
      <Space style={{ display: 'flex' }} align="start">
        <Form.Item
          name="username"
          label={t('user.username')}
          rules={[
            {
              required: true,
              pattern: /^[a-z0-9][a-z0-9._-]{2,63}$/,
              message: t('user.usernameInvalid'),
            },
          ]}
        >
          <Input disabled={!!initial} style={{ width: 250 }} />
        </Form.Item>
        {initial ? null : (
          <Form.Item
            name="password"
            label={t('user.password')}
            rules={[{ required: true, min: 10, message: t('user.passwordInvalid') }]}
          >
            <Input.Password style={{ width: 250 }} autoComplete="new-password" />
          </Form.Item>
        )}
      </Space>
      <Form.Item
        name="displayName"
        label={t('user.displayName')}
        rules={[{ required: true, whitespace: true, message: t('user.displayNameRequired') }]}
      >
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item
        name="organizationId"
        label={t('user.organization')}
        rules={[{ required: true, message: t('user.orgRequired') }]}
      >
        <Select showSearch={{ optionFilterProp: 'label' }} options={orgOptions} />
      </Form.Item>
      <Form.Item
        name="roles"
        label={t('user.roles')}
        rules={[{ required: true, type: 'array', min: 1, message: t('user.rolesRequired') }]}
      >
        <Select mode="multiple" options={ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))} />
      </Form.Item>
      <Space style={{ display: 'flex' }} align="start">
        <Form.Item name="specialty" label={t('user.specialty')}>
          <Select
            allowClear
            showSearch={{ optionFilterProp: 'label' }}
            style={{ width: 250 }}
            options={specialties.options}
          />
        </Form.Item>
        <Form.Item name="title" label={t('user.title_')}>
          <Select
            allowClear
            style={{ width: 250 }}
            options={PRACTITIONER_TITLES.map((x) => ({ value: x, label: t(`title.${x}`) }))}
          />
        </Form.Item>
      </Space>
      {initial ? (
        <Form.Item name="active" label={t('user.status')} valuePropName="checked">
          <Switch checkedChildren={t('common.active')} unCheckedChildren={t('common.inactive')} />
        </Form.Item>
      ) : null}
    </FormModal>
  );
}

const PAGE_SIZE = 20;

export function UsersPage() {
  const { t } = useI18n();
  const [q, setQ] = useState('');
  const [role, setRole] = useState<Role | undefined>();
  const [organizationId, setOrganizationId] = useState<string | undefined>();
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<Practitioner | 'new' | null>(null);
  const list = useApiData(
    () =>
      practitionersApi.list({
        q: q || undefined,
        role,
        organizationId,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
      }),
    [q, role, organizationId, page],
  );
  const orgList = useApiData(() => organizationsApi.list(), []);
  const specialties = useSpecialtyLabel();
  const byId = useMemo(
    () => new Map((orgList.data?.items ?? []).map((o) => [o.id, o])),
    [orgList.data],
  );
  const orgOptions = useMemo(
    () => (orgList.data?.items ?? []).map((o) => ({ value: o.id, label: o.name })),
    [orgList.data],
  );

  return (
    <AdminPanel
      title={t('user.title')}
      createLabel={t('user.create')}
      onCreate={() => setEditing('new')}
    >
      <Space style={{ marginBottom: 16 }} wrap>
        <Input.Search
          allowClear
          placeholder={t('user.searchPlaceholder')}
          style={{ width: 280 }}
          onSearch={(v) => {
            setPage(1);
            setQ(v.trim());
          }}
        />
        <Select
          allowClear
          placeholder={t('user.filterRole')}
          style={{ width: 200 }}
          value={role}
          onChange={(v) => (setPage(1), setRole(v))}
          options={ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))}
        />
        <Select
          allowClear
          showSearch={{ optionFilterProp: 'label' }}
          placeholder={t('user.organization')}
          style={{ width: 260 }}
          value={organizationId}
          onChange={(v) => (setPage(1), setOrganizationId(v))}
          options={orgOptions}
        />
      </Space>
      <AdminTable<Practitioner>
        data-testid="users-table"
        size="middle"
        loading={list.loading}
        rows={list.data?.items}
        empty={t('user.empty')}
        error={list.error}
        onRetry={list.reload}
        pagination={{
          current: page,
          pageSize: PAGE_SIZE,
          total: list.data?.total ?? 0,
          showSizeChanger: false,
          showTotal: (total) => t('common.total', { total }),
          onChange: setPage,
        }}
        columns={[
          { title: t('user.displayName'), dataIndex: 'displayName' },
          { title: t('user.username'), dataIndex: 'username' },
          {
            title: t('user.organization'),
            dataIndex: 'organizationId',
            ellipsis: true,
            render: (id: string) => byId.get(id)?.name ?? t('common.none'),
          },
          {
            title: t('user.roles'),
            dataIndex: 'roles',
            render: (roles: Role[]) =>
              roles.map((r) => (
                <Tag key={r} color={r === 'admin' ? 'red' : 'blue'}>
                  {t(`role.${r}`)}
                </Tag>
              )),
          },
          {
            title: t('user.specialty'),
            dataIndex: 'specialty',
            width: 110,
            render: (v: string | null) => specialties.label(v) ?? t('common.none'),
          },
          {
            title: t('user.title_'),
            dataIndex: 'title',
            width: 110,
            render: (v: Practitioner['title']) => (v ? t(`title.${v}`) : t('common.none')),
          },
          {
            title: t('user.status'),
            dataIndex: 'active',
            width: 80,
            render: (v?: boolean) =>
              v === false ? (
                <Tag>{t('common.inactive')}</Tag>
              ) : (
                <Tag color="green">{t('common.active')}</Tag>
              ),
          },
          {
            title: t('common.actions'),
            key: 'a',
            width: 80,
            render: (_, p) => (
              <Button type="link" size="small" onClick={() => setEditing(p)}>
                {t('common.edit')}
              </Button>
            ),
          },
        ]}
      />
      {editing ? (
        <UserForm
          initial={editing === 'new' ? null : editing}
          orgOptions={orgOptions}
          onCancel={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            list.reload();
          }}
        />
      ) : null}
    </AdminPanel>
  );
}

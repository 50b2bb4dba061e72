import {
  Button,
  Card,
  Descriptions,
  Form,
  Input,
  Select,
  Tag,
  Tree,
  TreeSelect,
  Typography,
} from 'antd';
import { useMemo, useState } from 'react';
import { organizationsApi, practitionersApi } from '../../api/directory';
import {
  ORGANIZATION_LEVELS,
  type Organization,
  type OrganizationInput,
  type Practitioner,
} from '../../api/types';
import { useI18n } from '../../i18n/I18nProvider';
import { EmptyState, ErrorState } from '../../shell/States';
import { useApiData } from '../../shell/useApiData';
import { useSpecialtyLabel } from '../../shell/useDirectoryTerms';
import { buildOrganizationTree, subtreeIds, type OrgNode } from './organizationTree';
import { AdminTable } from './AdminTable';
import { FormModal } from '../../shell/FormModal';

function OrganizationForm({
  initial,
  orgs,
  onSaved,
  onCancel,
}: {
  initial: Organization | null;
  orgs: Organization[];
  onSaved: (o: Organization) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<OrganizationInput>();
  const excluded = initial ? subtreeIds(orgs, initial.id) : new Set<string>();
  const toSelect = (nodes: OrgNode[]): any[] =>
    nodes.map((n) => ({
      value: n.key,
      title: n.title,
      disabled: excluded.has(n.key),
      children: toSelect(n.children),
    }));
  const save = async (values: OrganizationInput) => {
    const input: OrganizationInput = {
      name: values.name.trim(),
      level: values.level,
      regionCode: values.regionCode,
      parentId: values.parentId ?? null,
    };
    return initial ? organizationsApi.update(initial.id, input) : organizationsApi.create(input);
  };
  return (
    <FormModal
      title={initial ? t('org.edit') : t('org.create')}
      form={form}
      initialValues={initial ?? undefined}
      save={save}
      onSaved={onSaved}
      onCancel={onCancel}
    >
      <Form.Item
        name="name"
        label={t('org.name')}
        rules={[{ required: true, whitespace: true, message: t('org.nameRequired') }]}
      >
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item
        name="level"
        label={t('org.level')}
        rules={[{ required: true, message: t('org.levelRequired') }]}
      >
        <Select options={ORGANIZATION_LEVELS.map((l) => ({ value: l, label: t(`level.${l}`) }))} />
      </Form.Item>
      <Form.Item name="parentId" label={t('org.parent')}>
        <TreeSelect
          allowClear
          showSearch
          treeNodeFilterProp="title"
          treeDefaultExpandAll
          treeData={toSelect(buildOrganizationTree(orgs))}
          data-testid="org-parent"
        />
      </Form.Item>
      <Form.Item
        name="regionCode"
        label={t('org.regionCode')}
        rules={[{ required: true, pattern: /^\d{6}$/, message: t('org.regionInvalid') }]}
      >
        <Input maxLength={6} style={{ width: 160 }} />
      </Form.Item>
    </FormModal>
  );
}

function OrganizationDetail({
  org,
  orgs,
  onEdit,
}: {
  org: Organization;
  orgs: Organization[];
  onEdit: () => void;
}) {
  const { t } = useI18n();
  const staff = useApiData(
    () => practitionersApi.list({ organizationId: org.id, limit: 200 }),
    [org.id],
  );
  const specialties = useSpecialtyLabel();
  const parent = orgs.find((o) => o.id === org.parentId);
  return (
    <Card
      title={<span data-testid="org-detail-name">{org.name}</span>}
      extra={<Button onClick={onEdit}>{t('common.edit')}</Button>}
    >
      <Descriptions column={2} size="small" style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t('org.level')}>{t(`level.${org.level}`)}</Descriptions.Item>
        <Descriptions.Item label={t('org.regionCode')}>{org.regionCode}</Descriptions.Item>
        <Descriptions.Item label={t('org.parent')}>
          {parent?.name ?? t('common.none')}
        </Descriptions.Item>
        <Descriptions.Item label={t('user.status')}>
          {org.active === false ? t('common.inactive') : t('common.active')}
        </Descriptions.Item>
      </Descriptions>
      <Typography.Title level={5}>{t('org.staff')}</Typography.Title>
      <AdminTable<Practitioner>
        size="small"
        loading={staff.loading}
        rows={staff.data?.items}
        empty={t('user.empty')}
        error={staff.error}
        onRetry={staff.reload}
        pagination={false}
        scroll={{ y: 300 }}
        columns={[
          { title: t('user.displayName'), dataIndex: 'displayName' },
          {
            title: t('user.roles'),
            dataIndex: 'roles',
            render: (roles: Practitioner['roles']) =>
              roles.map((r) => <Tag key={r}>{t(`role.${r}`)}</Tag>),
          },
          {
            title: t('user.specialty'),
            dataIndex: 'specialty',
            render: (v: string | null) => specialties.label(v) ?? t('common.none'),
          },
        ]}
      />
    </Card>
  );
}

export function OrganizationsPage() {
  const { t } = useI18n();
  const { data, error, loading, reload } = useApiData(() => organizationsApi.list(), []);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [editing, setEditing] = useState<Organization | 'new' | null>(null);
  const orgs = useMemo(() => data?.items ?? [], [data]);
  const tree = useMemo(() => buildOrganizationTree(orgs, (o) => `${o.name}`), [orgs]);
  const selected = orgs.find((o) => o.id === selectedId) ?? null;

  if (error) return <ErrorState error={error} onRetry={reload} />;
  return (
    <div style={{ display: 'flex', gap: 16, alignItems: 'flex-start' }}>
      <Card
        title={
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('org.tree')}
          </Typography.Title>
        }
        extra={
          <Button type="primary" onClick={() => setEditing('new')}>
            {t('org.create')}
          </Button>
        }
        style={{ width: 420, flexShrink: 0 }}
        loading={loading}
        styles={{ body: { maxHeight: 'calc(100vh - 200px)', overflow: 'auto' } }}
      >
        {tree.length === 0 ? (
          <EmptyState title={t('org.empty')} />
        ) : (
          <Tree<OrgNode>
            data-testid="org-tree"
            treeData={tree}
            defaultExpandAll
            selectedKeys={selectedId ? [selectedId] : []}
            onSelect={(keys) => setSelectedId((keys[0] as string) ?? null)}
            titleRender={(n) => (
              <span>
                {n.org.name} <Tag style={{ marginInlineStart: 4 }}>{t(`level.${n.org.level}`)}</Tag>
              </span>
            )}
          />
        )}
      </Card>
      <div style={{ flex: 1, minWidth: 0 }}>
        {selected ? (
          <OrganizationDetail org={selected} orgs={orgs} onEdit={() => setEditing(selected)} />
        ) : (
          <Card>
            <EmptyState title={t('org.selectHint')} />
          </Card>
        )}
      </div>
      {editing ? (
        <OrganizationForm
          initial={editing === 'new' ? null : editing}
          orgs={orgs}
          onCancel={() => setEditing(null)}
          onSaved={(o) => {
            setEditing(null);
            setSelectedId(o.id);
            reload();
          }}
        />
      ) : null}
    </div>
  );
}

import { Button, Card, Table, Typography, type TableProps } from 'antd';
import type { ReactNode } from 'react';
import { EmptyState, ErrorState } from '../../shell/States';

/**
 * A directory list as the admin pages show it: rows keyed by id, an empty state that says what
 * is missing, and (when the list could not load) the error with a retry instead of the table.
 * The rest (columns, paging, size, scroll, `data-testid`) passes through to antd's Table.
 */
export function AdminTable<T extends { id: string }>({
  rows,
  empty,
  error,
  onRetry,
  ...table
}: Omit<TableProps<T>, 'rowKey' | 'dataSource' | 'locale'> & {
  rows: T[] | undefined;
  /** What the empty state says (the table has no rows). */
  empty: string;
  /** The list's load error, shown with `onRetry` in the table's place. */
  error?: unknown;
  onRetry?: () => void;
  'data-testid'?: string;
}) {
  if (error) return <ErrorState error={error} onRetry={onRetry} />;
  return (
    <Table<T>
      rowKey="id"
      dataSource={rows ?? []}
      locale={{ emptyText: <EmptyState title={empty} /> }}
      {...table}
    />
  );
}

/** An admin page's frame: its title, the button that creates one more, then the filters and the list. */
export function AdminPanel({
  title,
  createLabel,
  onCreate,
  children,
}: {
  title: string;
  createLabel: string;
  onCreate: () => void;
  children: ReactNode;
}) {
  return (
    <Card
      title={
        <Typography.Title level={4} style={{ margin: 0 }}>
          {title}
        </Typography.Title>
      }
      extra={
        <Button type="primary" onClick={onCreate}>
          {createLabel}
        </Button>
      }
    >
      {children}
    </Card>
  );
}

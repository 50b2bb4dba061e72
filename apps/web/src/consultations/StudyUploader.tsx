import { Button, Progress, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import {
  isDicomFile,
  uploadDicomFile,
  uploadRefusalKind,
  type UploadOutcome,
} from '../api/imaging-upload';
import { useI18n } from '../i18n/I18nProvider';
import { useConsultText } from './text';

type FileState = 'checking' | 'skipped' | 'waiting' | 'uploading' | 'done' | 'failed';

interface Entry {
  key: string;
  file: File;
  name: string;
  state: FileState;
  sent: number;
  error?: ReturnType<typeof uploadRefusalKind>;
  outcome?: UploadOutcome;
}

export interface UploadSummary {
  studyInstanceUids: string[];
  busy: boolean;
  files: number;
  done: number;
}

const PARALLEL = 2;

/** Files of a dropped folder, recursively (DataTransfer entries; a plain file list otherwise). */
async function droppedFiles(e: DragEvent): Promise<File[]> {
  const entries = [...e.dataTransfer.items]
    .map((i) => i.webkitGetAsEntry?.())
    .filter((x): x is FileSystemEntry => !!x);
  if (!entries.length) return [...e.dataTransfer.files];
  const out: File[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      out.push(
        await new Promise<File>((res, rej) => (entry as FileSystemFileEntry).file(res, rej)),
      );
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((res, rej) =>
          reader.readEntries(res, rej),
        );
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const entry of entries) await walk(entry);
  return out;
}

/**
 * A DICOM folder from the modality's export: each Part 10 file goes up resumably (tus), two at a
 * time, with its own progress and the total; other files are listed as skipped.
 */
export function StudyUploader({ onChange }: { onChange: (summary: UploadSummary) => void }) {
  const { ct } = useConsultText();
  const { t } = useI18n();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [dragging, setDragging] = useState(false);
  const folderInput = useRef<HTMLInputElement>(null);
  const filesInput = useRef<HTMLInputElement>(null);
  const running = useRef(new Set<string>());
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  const patch = useCallback(
    (key: string, p: Partial<Entry>) =>
      setEntries((prev) => prev.map((e) => (e.key === key ? { ...e, ...p } : e))),
    [],
  );

  const add = useCallback(
    async (files: File[]) => {
      const fresh: Entry[] = files.map((file) => ({
        key: `${file.webkitRelativePath || file.name}:${file.size}:${file.lastModified}`,
        file,
        name: file.webkitRelativePath || file.name,
        state: 'checking',
        sent: 0,
      }));
      setEntries((prev) => [...prev, ...fresh.filter((f) => !prev.some((p) => p.key === f.key))]);
      for (const f of fresh)
        patch(f.key, { state: (await isDicomFile(f.file)) ? 'waiting' : 'skipped' });
    },
    [patch],
  );

  // The scheduler: start waiting files while fewer than PARALLEL run.
  useEffect(() => {
    const free = PARALLEL - running.current.size;
    for (const e of entries
      .filter((x) => x.state === 'waiting' && !running.current.has(x.key))
      .slice(0, Math.max(0, free))) {
      running.current.add(e.key);
      patch(e.key, { state: 'uploading' });
      uploadDicomFile(e.file, (sent) => patch(e.key, { sent })).promise.then(
        (outcome) => {
          running.current.delete(e.key);
          patch(e.key, { state: 'done', sent: e.file.size, outcome });
        },
        (err: Error) => {
          running.current.delete(e.key);
          // Kept as what kind of refusal it was: the user reads its words, never the server's English.
          patch(e.key, { state: 'failed', error: uploadRefusalKind(err) });
        },
      );
    }
    const dicom = entries.filter((x) => x.state !== 'skipped' && x.state !== 'checking');
    const studyInstanceUids = [
      ...new Set(entries.map((x) => x.outcome?.studyInstanceUid).filter((u): u is string => !!u)),
    ];
    onChangeRef.current({
      studyInstanceUids,
      busy: entries.some(
        (x) => x.state === 'checking' || x.state === 'waiting' || x.state === 'uploading',
      ),
      files: dicom.length,
      done: dicom.filter((x) => x.state === 'done').length,
    });
  }, [entries, patch]);

  const dicom = entries.filter((e) => e.state !== 'skipped' && e.state !== 'checking');
  const totalBytes = dicom.reduce((s, e) => s + e.file.size, 0);
  const sentBytes = dicom.reduce((s, e) => s + Math.min(e.sent, e.file.size), 0);
  const totalPercent = totalBytes ? Math.floor((sentBytes / totalBytes) * 100) : 0;
  const studies = new Set(entries.map((e) => e.outcome?.studyInstanceUid).filter(Boolean)).size;
  const percentOf = (e: Entry) =>
    e.state === 'done'
      ? 100
      : e.file.size
        ? Math.floor((Math.min(e.sent, e.file.size) / e.file.size) * 100)
        : 0;

  const pick = (input: HTMLInputElement | null) => {
    const files = input?.files ? [...input.files] : [];
    if (input) input.value = '';
    void add(files);
  };

  return (
    <Space orientation="vertical" size={12} style={{ width: '100%' }}>
      <div
        data-testid="upload-dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void droppedFiles(e).then(add);
        }}
        style={{
          border: `2px dashed ${dragging ? '#1f6feb' : '#d0d7de'}`,
          borderRadius: 8,
          padding: 24,
          textAlign: 'center',
          background: dragging ? '#f0f6ff' : '#fafafa',
        }}
      >
        <Typography.Title level={5}>{ct('upload.title')}</Typography.Title>
        <Typography.Paragraph type="secondary">{ct('upload.hint')}</Typography.Paragraph>
        <Space>
          <Button type="primary" onClick={() => folderInput.current?.click()}>
            {ct('upload.pickFolder')}
          </Button>
          <Button onClick={() => filesInput.current?.click()}>{ct('upload.pickFiles')}</Button>
        </Space>
        <input
          ref={folderInput}
          type="file"
          data-testid="folder-input"
          hidden
          multiple
          {...{ webkitdirectory: '', directory: '' }}
          onChange={(e) => pick(e.currentTarget)}
        />
        <input
          ref={filesInput}
          type="file"
          data-testid="files-input"
          hidden
          multiple
          accept=".dcm,application/dicom,*/*"
          onChange={(e) => pick(e.currentTarget)}
        />
      </div>
      {entries.length ? (
        <>
          <div data-testid="upload-total" data-percent={totalPercent}>
            <Typography.Text strong>{ct('upload.total')}</Typography.Text>
            <Progress
              percent={totalPercent}
              status={
                dicom.some((e) => e.state === 'failed')
                  ? 'exception'
                  : totalPercent === 100
                    ? 'success'
                    : 'active'
              }
            />
            <Typography.Text type="secondary">
              {ct('upload.summary', {
                done: dicom.filter((e) => e.state === 'done').length,
                total: dicom.length,
                studies,
              })}
            </Typography.Text>
          </div>
          <Table<Entry>
            data-testid="upload-files"
            size="small"
            rowKey="key"
            pagination={false}
            dataSource={entries}
            scroll={{ y: 260 }}
            onRow={(e) =>
              ({
                'data-name': e.name,
                'data-state': e.state,
                'data-percent': percentOf(e),
              }) as React.HTMLAttributes<HTMLElement>
            }
            columns={[
              { title: '', dataIndex: 'name', ellipsis: true },
              {
                title: '',
                key: 'size',
                width: 90,
                render: (_, e) => `${(e.file.size / 1024).toFixed(1)} KB`,
              },
              {
                title: '',
                key: 'progress',
                width: 260,
                render: (_, e) =>
                  e.state === 'skipped' ? (
                    <Tag>{ct('upload.skipped')}</Tag>
                  ) : e.state === 'failed' ? (
                    <Tag color="red" style={{ whiteSpace: 'normal' }}>
                      {ct('upload.failed')}：{t(`upload.refused.${e.error ?? 'other'}`)}
                    </Tag>
                  ) : e.state === 'waiting' || e.state === 'checking' ? (
                    <Tag>{ct('upload.waiting')}</Tag>
                  ) : (
                    <Progress
                      size="small"
                      percent={percentOf(e)}
                      status={e.state === 'done' ? 'success' : 'active'}
                    />
                  ),
              },
            ]}
          />
          {dicom.some((e) => e.state === 'failed') ? (
            <Button
              onClick={() =>
                setEntries((prev) =>
                  prev.map((e) =>
                    e.state === 'failed'
                      ? { ...e, state: 'waiting', sent: 0, error: undefined }
                      : e,
                  ),
                )
              }
            >
              {ct('upload.retry')}
            </Button>
          ) : null}
        </>
      ) : null}
    </Space>
  );
}

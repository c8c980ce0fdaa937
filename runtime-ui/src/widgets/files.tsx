/**
 * Attachment and image fields: antd Upload sending each file to POST /api/files (the engine checks
 * type and size on the bytes and answers the stored ref), a list with download links (attachment)
 * or picture cards with a preview (image), and the read-only display the record page uses.
 * The server's message shows under the field when it refuses a file.
 */
import { useEffect, useMemo, useState } from 'react';
import { Image, Modal, Space, Typography, Upload } from 'antd';
import type { UploadFile, UploadProps } from 'antd';
import { PaperClipOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import type { WidgetProps } from '@rjsf/utils';
import { useTranslation } from 'react-i18next';
import { fileLimits, formatBytes } from '../../../engine/src/meta/file-limits';
import { download } from '../api';
import type { FieldDef, FormDef } from '../meta';
import { fileBlobUrl, uploadError, uploadFile, type FileRef } from './file-api';
import './i18n';

const isRef = (v: unknown): v is FileRef => !!v && typeof v === 'object' && typeof (v as FileRef).id === 'string';
const refsOf = (v: unknown): FileRef[] => (Array.isArray(v) ? v.filter(isRef) : []);

/** Blob URLs of the given image refs, loaded with the session's token. */
function useThumbs(refs: FileRef[]): Record<string, string> {
  const [thumbs, setThumbs] = useState<Record<string, string>>({});
  const key = refs.map((r) => r.id).join();
  useEffect(() => {
    let live = true;
    for (const r of refs) {
      if (thumbs[r.id]) continue;
      fileBlobUrl(r.url).then((u) => live && setThumbs((t) => ({ ...t, [r.id]: u })), () => undefined);
    }
    return () => {
      live = false;
    };
  }, [key]);
  return thumbs;
}

const SHORT: Record<string, string> = {
  'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/gif': 'GIF', 'image/webp': 'WEBP', 'application/pdf': 'PDF', 'application/zip': 'ZIP',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint',
  'text/plain': 'TXT', 'text/csv': 'CSV',
};

export interface FilesInputProps {
  form: string;
  /** The field (for its type, `multiple`, `maxSize`, `accept`). */
  field: FieldDef;
  /** What POST /api/files calls the field: its key, or `subtable.key`. */
  path?: string;
  value: unknown;
  onChange: (refs: FileRef[] | undefined) => void;
  disabled?: boolean;
  id?: string;
}

/** The editable list of an attachment or image field. */
export function FilesInput(props: FilesInputProps) {
  const { t } = useTranslation();
  const { field, form } = props;
  const path = props.path ?? field.key;
  const image = field.type === 'image';
  const multiple = field.multiple === true;
  const limits = useMemo(() => fileLimits(field), [field]);
  const refs = refsOf(props.value);
  const [pending, setPending] = useState<UploadFile[]>([]);
  const [errors, setErrors] = useState<string[]>([]);
  const [preview, setPreview] = useState<FileRef | null>(null);
  const thumbs = useThumbs(image ? refs : []);

  const fileList: UploadFile[] = [
    ...refs.map((r): UploadFile => ({ uid: r.id, name: r.name, size: r.size, type: r.mime, status: 'done', response: r, thumbUrl: thumbs[r.id] })),
    ...pending,
  ];
  const full = !multiple && refs.length + pending.filter((f) => f.status === 'uploading').length >= 1;

  const customRequest: UploadProps['customRequest'] = ({ file, onSuccess, onError }) => {
    uploadFile(form, path, file as File).then(
      (ref) => onSuccess?.(ref),
      (e) => {
        const text = uploadError(e, path);
        setErrors((x) => [...x.filter((m) => m !== text), text]);
        onError?.(new Error(text), text);
      },
    );
  };

  const onChange: UploadProps['onChange'] = ({ file, fileList: next }) => {
    const done = next.filter((f) => f.status === 'done' && isRef(f.response)).map((f) => f.response as FileRef);
    // A single-file field keeps the newest one.
    const kept = multiple ? done : done.slice(-1);
    setPending(next.filter((f) => f.status === 'uploading' || (f.status === 'error' && f.uid === file.uid)));
    if (file.status === 'uploading') setErrors([]);
    if (JSON.stringify(kept.map((r) => r.id)) !== JSON.stringify(refs.map((r) => r.id))) props.onChange(kept.length ? kept : undefined);
  };

  const beforeUpload: UploadProps['beforeUpload'] = (file) => {
    // The server checks too; a file over the limit is not worth sending.
    if (file.size > limits.maxSize) {
      setErrors([t('files.tooLarge', { limit: formatBytes(limits.maxSize) })]);
      return Upload.LIST_IGNORE;
    }
    return true;
  };

  const ref = (f: UploadFile): FileRef | null => (isRef(f.response) ? f.response : null);
  const types = limits.types.map((x) => SHORT[x] ?? x).join(' / ');

  return (
    <div data-testid={`files-${path}`}>
      <Upload
        id={props.id}
        listType={image ? 'picture-card' : 'text'}
        fileList={fileList}
        accept={limits.types.join(',')}
        multiple={multiple}
        disabled={props.disabled}
        customRequest={customRequest}
        beforeUpload={beforeUpload}
        onChange={onChange}
        showUploadList={{ showRemoveIcon: !props.disabled, showDownloadIcon: !image, showPreviewIcon: image }}
        onPreview={(f) => {
          const r = ref(f);
          if (!r) return;
          if (image) setPreview(r);
          else void download(r.url, r.name);
        }}
        onDownload={(f) => {
          const r = ref(f);
          if (r) void download(r.url, r.name);
        }}
      >
        {props.disabled || full ? null : image ? (
          <button type="button" style={{ border: 0, background: 'none', cursor: 'pointer' }} data-testid={`upload-button-${path}`}>
            <PlusOutlined />
            <div style={{ marginTop: 8 }}>{t('files.uploadImage')}</div>
          </button>
        ) : (
          <Typography.Link data-testid={`upload-button-${path}`}><UploadOutlined /> {t('files.upload')}</Typography.Link>
        )}
      </Upload>
      {!props.disabled && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('files.accepts', { types, limit: formatBytes(limits.maxSize) })}</Typography.Text>}
      {errors.map((m) => (
        <div key={m} className="ant-form-item-explain-error" style={{ color: '#ff4d4f' }} data-testid={`upload-error-${path}`}>{m}</div>
      ))}
      <Modal open={!!preview} footer={null} onCancel={() => setPreview(null)} title={preview?.name} destroyOnHidden>
        {preview && thumbs[preview.id] && <img alt={preview.name} src={thumbs[preview.id]} style={{ width: '100%' }} />}
      </Modal>
    </div>
  );
}

/** rjsf widget for `attachment` and `image` fields (the field comes from the form context). */
export function FilesWidget(p: WidgetProps) {
  const ctx = p.registry.formContext as { form?: FormDef } | undefined;
  const field = ctx?.form?.fields.find((f) => f.key === p.name);
  if (!ctx?.form || !field) return <Typography.Text type="secondary">—</Typography.Text>;
  return (
    <FilesInput id={p.id} form={ctx.form.key} field={field} value={p.value} disabled={p.disabled || p.readonly}
      onChange={(refs) => p.onChange(refs)} />
  );
}

/** The read-only display of a file field's value: thumbnails (image) or download links (attachment). */
export function FilesView({ field, value }: { field: FieldDef; value: unknown }) {
  const { t } = useTranslation();
  const refs = refsOf(value);
  const image = field.type === 'image';
  const thumbs = useThumbs(image ? refs : []);
  if (!refs.length) return null;
  if (image) {
    return (
      <Image.PreviewGroup>
        <Space wrap data-testid={`file-thumbs-${field.key}`}>
          {refs.map((r) => (
            <Image key={r.id} width={88} height={88} style={{ objectFit: 'cover' }} alt={r.name} title={r.name}
              src={thumbs[r.id]} placeholder data-testid={`file-thumb-${field.key}`} />
          ))}
        </Space>
      </Image.PreviewGroup>
    );
  }
  return (
    <Space direction="vertical" size={2} data-testid={`file-links-${field.key}`}>
      {refs.map((r) => (
        <Typography.Link key={r.id} onClick={() => void download(r.url, r.name)} title={t('files.download')}>
          <PaperClipOutlined /> {r.name} <Typography.Text type="secondary">({formatBytes(r.size)})</Typography.Text>
        </Typography.Link>
      ))}
    </Space>
  );
}

/**
 * Installing or upgrading from a bundle file, as steps on one screen: the plan first
 * (POST /api/packs/plan); then install with the plan token, or upgrade — whose conflicts are
 * listed for a choice each and sent again as `resolutions` (with `confirmDataLoss` after a
 * confirm dialog when table steps lose data); then what was done.
 */
import { useEffect, useState } from 'react';
import { Alert, App, Button, Card, Space, Spin, Steps, Typography } from 'antd';
import { ArrowLeftOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, ApiError, errorText } from '../api';
import { ConflictResolver } from './ConflictResolver';
import { conflictId, type Bundle, type Choice, type Conflict, type InstallPlan, type InstallResult, type UpgradeResult } from './model';
import { PlanView } from './PlanView';
import { ResultView } from './ResultView';
import './words';

type Step = 'plan' | 'resolve' | 'done';

function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const fields = error instanceof ApiError ? error.fields : undefined;
  return (
    <Alert
      type="error" showIcon style={{ marginBottom: 12 }} data-testid="pack-error" title={errorText(error)}
      description={fields ? <ul style={{ margin: 0, paddingInlineStart: 18 }}>{Object.entries(fields).map(([p, m]) => <li key={p}><Typography.Text code>{p}</Typography.Text> {m.join('；')}</li>)}</ul> : undefined}
    />
  );
}

export function InstallFlow({ bundle, fileName, onClose }: { bundle: Bundle; fileName: string; onClose: (changed: boolean) => void }) {
  const { t } = useTranslation();
  const { modal } = App.useApp();
  const [step, setStep] = useState<Step>('plan');
  const [plan, setPlan] = useState<InstallPlan | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [conflicts, setConflicts] = useState<Conflict[]>([]);
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const [installResult, setInstallResult] = useState<InstallResult | null>(null);
  const [upgradeResult, setUpgradeResult] = useState<UpgradeResult | null>(null);
  const [changed, setChanged] = useState(false);

  useEffect(() => {
    api<InstallPlan>('POST', '/api/packs/plan', bundle).then(setPlan, setError);
  }, [bundle]);

  const destructive = !!plan?.tables.some((tb) => tb.steps.some((s) => s.destructive));

  /** Ask before sending confirmDataLoss. */
  const confirmLoss = () => new Promise<boolean>((resolve) => {
    modal.confirm({
      title: t('packs.dataLossTitle'), content: t('packs.dataLossBody'), okText: t('packs.confirmDataLoss'), cancelText: t('packs.cancel'),
      okButtonProps: { danger: true, 'data-testid': 'data-loss-confirm' } as any, onOk: () => resolve(true), onCancel: () => resolve(false),
    });
  });

  const install = async () => {
    if (!plan) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api<InstallResult>('POST', '/api/packs/install', { ...bundle, planToken: plan.token });
      if (r.conflicts.length) {
        setConflicts(r.conflicts);
        setError(new Error(t('packs.installConflicts') + '：' + r.conflicts.map((c) => c.document).join('、')));
      } else {
        setInstallResult(r);
        setChanged(true);
        setStep('done');
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const upgrade = async (resolutions?: Record<string, Choice>, confirmDataLoss = false): Promise<void> => {
    if (confirmDataLoss === false && resolutions && destructive) {
      if (!(await confirmLoss())) return;
      confirmDataLoss = true;
    }
    setBusy(true);
    setError(null);
    try {
      const body = {
        ...bundle,
        ...(resolutions ? { resolutions: conflicts.filter((c) => resolutions[conflictId(c)]).map((c) => ({ document: c.document, path: c.path, choice: resolutions[conflictId(c)] })) } : {}),
        ...(confirmDataLoss ? { confirmDataLoss: true } : {}),
      };
      const r = await api<UpgradeResult>('POST', '/api/packs/upgrade', body);
      if (r.applied) {
        setUpgradeResult(r);
        setChanged(true);
        setStep('done');
      } else {
        setConflicts(r.conflicts);
        setChoices((x) => Object.fromEntries(r.conflicts.filter((c) => x[conflictId(c)]).map((c) => [conflictId(c), x[conflictId(c)]!])));
        setStep('resolve');
      }
    } catch (e) {
      if (e instanceof ApiError && e.code === 'data_loss' && !confirmDataLoss) {
        setBusy(false);
        if (await confirmLoss()) return upgrade(resolutions ?? {}, true);
        return;
      }
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const allChosen = conflicts.length > 0 && conflicts.every((c) => choices[conflictId(c)]);
  const name = plan?.pack.name ?? bundle.manifest.name;
  const version = plan?.pack.version ?? bundle.manifest.version;
  return (
    <Card
      data-testid="pack-flow"
      title={<Space><Button type="text" icon={<ArrowLeftOutlined />} onClick={() => onClose(changed)} aria-label={t('packs.back')} data-testid="pack-flow-back" />{t('packs.planTitle', { name, version })}<Typography.Text type="secondary">{fileName}</Typography.Text></Space>}
    >
      <Steps
        size="small" style={{ marginBottom: 16 }} current={step === 'plan' ? 0 : step === 'resolve' ? 1 : 2}
        items={[{ title: t('packs.step.plan') }, { title: t('packs.step.resolve') }, { title: t('packs.step.done') }]}
      />
      <ErrorBox error={error} />
      {step === 'plan' && (!plan ? (!error && <Spin />) : (
        <>
          <PlanView plan={plan} />
          <Space style={{ marginTop: 16 }}>
            <Button onClick={() => onClose(changed)}>{t('packs.cancel')}</Button>
            {plan.pack.installed
              ? <Button type="primary" loading={busy} onClick={() => void upgrade()} data-testid="pack-upgrade">{t('packs.upgrade')}</Button>
              : <Button type="primary" loading={busy} onClick={() => void install()} data-testid="pack-install">{t('packs.install')}</Button>}
          </Space>
        </>
      ))}
      {step === 'resolve' && (
        <>
          <ConflictResolver conflicts={conflicts} choices={choices} onChoose={setChoices} />
          <Space style={{ marginTop: 16 }}>
            <Button onClick={() => onClose(changed)}>{t('packs.cancel')}</Button>
            <Button type="primary" disabled={!allChosen} loading={busy} onClick={() => void upgrade(choices)} data-testid="pack-apply">{t('packs.apply')}</Button>
          </Space>
        </>
      )}
      {step === 'done' && (
        <>
          <ResultView name={name} version={version} install={installResult ?? undefined} upgrade={upgradeResult ?? undefined} />
          <Button type="primary" style={{ marginTop: 16 }} onClick={() => onClose(true)} data-testid="pack-flow-done">{t('packs.back')}</Button>
        </>
      )}
    </Card>
  );
}

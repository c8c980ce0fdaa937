import { Result, Typography } from 'antd';
import { useTranslation } from 'react-i18next';

/** A designer area not built yet: says so plainly, with what the area will do. */
export function AreaPlaceholder({ area, api }: { area: string; api: string }) {
  const { t } = useTranslation();
  return (
    <Result
      status="info"
      title={t(`nav.${area}`)}
      subTitle={t('placeholder.comingSoon')}
      data-testid={`placeholder-${area}`}
      extra={<Typography.Text type="secondary">{t(`placeholder.${area}`)} · <Typography.Text code>{api}</Typography.Text></Typography.Text>}
    />
  );
}

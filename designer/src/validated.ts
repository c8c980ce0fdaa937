/**
 * A dialog's values once its form is valid, or null when it is not (the form then shows what is
 * wrong beside each field). antd rejects a validation that another one overtook — a field's own
 * on-change check still running when the person clicks OK — as "out of date" with no errors; that
 * is not a refusal, so it is asked again instead of leaving the click without effect.
 */
import type { FormInstance } from 'antd';

export async function validated<T>(form: FormInstance<T>): Promise<T | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await form.validateFields();
    } catch (e) {
      const failure = e as { errorFields?: unknown[]; outOfDate?: boolean };
      if (failure?.outOfDate && !failure.errorFields?.length) continue;
      return null;
    }
  }
  return null;
}

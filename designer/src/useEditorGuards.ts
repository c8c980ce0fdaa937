/**
 * What every document editor of the designer does alike: ask before leaving with unsaved changes
 * (in-app navigation and closing the tab), and undo/redo from the keyboard.
 */
import { useEffect } from 'react';
import { App } from 'antd';
import { useTranslation } from 'react-i18next';
import { setLeaveGuard } from './router';

/** While `dirty`, leaving asks first. `words`: i18n keys of the dialog (default: the shared ones). */
export function useUnsavedGuard(dirty: boolean, words = { title: 'unsavedTitle', body: 'unsavedBody', leave: 'leave', stay: 'stay' }) {
  const { t } = useTranslation();
  const { modal } = App.useApp();
  useEffect(() => {
    if (!dirty) {
      setLeaveGuard(null);
      return;
    }
    setLeaveGuard(() => new Promise<boolean>((resolve) => {
      modal.confirm({ title: t(words.title), content: t(words.body), okText: t(words.leave), cancelText: t(words.stay), onOk: () => resolve(true), onCancel: () => resolve(false) });
    }));
    const onUnload = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', onUnload);
    return () => window.removeEventListener('beforeunload', onUnload);
  }, [dirty]);
  useEffect(() => () => setLeaveGuard(null), []);
}

/** A text box or editable element: there the browser's own undo applies. */
export const isEditable = (el: EventTarget | null) => {
  const e = el as HTMLElement | null;
  return !!e && (e.tagName === 'INPUT' || e.tagName === 'TEXTAREA' || e.isContentEditable);
};

/** Ctrl+Z / Ctrl+Shift+Z (and Ctrl+Y) outside text boxes. */
export function useUndoKeys(undo: () => void, redo: () => void) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || isEditable(e.target)) return;
      const k = e.key.toLowerCase();
      if (k === 'z' && !e.shiftKey) undo();
      else if ((k === 'z' && e.shiftKey) || k === 'y') redo();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [undo, redo]);
}

/**
 * The designer's route table — the one place areas register their pages and navigation entries.
 * Each area lives in pages/<Area>/ (its list or landing page) and may add deeper routes here
 * ('/workflows/:key' …). A page receives the pattern's parameters as props.
 */
import { lazy, type ComponentType, type ReactNode } from 'react';
import { ApartmentOutlined, AppstoreOutlined, BarChartOutlined, FormOutlined, SafetyOutlined } from '@ant-design/icons';

export type AreaKey = 'forms' | 'workflows' | 'reports' | 'roles' | 'packs';

export interface RouteDef {
  /** An app path under /designer, with :params ('/forms/:form'). */
  pattern: string;
  /** The navigation entry highlighted while this route is open. */
  area: AreaKey;
  page: ComponentType<any>;
}

export interface NavEntry {
  area: AreaKey;
  /** Where the entry leads. */
  path: string;
  /** i18n key of its name. */
  label: string;
  icon: ReactNode;
}

const FormsPage = lazy(() => import('./pages/Forms/index'));
const FormDesignerPage = lazy(() => import('./forms/FormDesigner'));
const WorkflowsPage = lazy(() => import('./pages/Workflows/index'));
const WorkflowDesignerPage = lazy(() => import('./workflows/WorkflowDesigner'));
const ReportsPage = lazy(() => import('./pages/Reports/index'));
const ReportDesignerPage = lazy(() => import('./reports/ReportDesigner'));
const DashboardDesignerPage = lazy(() => import('./reports/DashboardDesigner'));
const RolesPage = lazy(() => import('./pages/Roles/index'));
const RoleDesignerPage = lazy(() => import('./roles/RoleDesigner'));
const PacksPage = lazy(() => import('./pages/Packs/index'));

export const NAV: NavEntry[] = [
  { area: 'forms', path: '/forms', label: 'nav.forms', icon: <FormOutlined /> },
  { area: 'workflows', path: '/workflows', label: 'nav.workflows', icon: <ApartmentOutlined /> },
  { area: 'reports', path: '/reports', label: 'nav.reports', icon: <BarChartOutlined /> },
  { area: 'roles', path: '/roles', label: 'nav.roles', icon: <SafetyOutlined /> },
  { area: 'packs', path: '/packs', label: 'nav.packs', icon: <AppstoreOutlined /> },
];

export const ROUTES: RouteDef[] = [
  { pattern: '/', area: 'forms', page: FormsPage },
  { pattern: '/forms', area: 'forms', page: FormsPage },
  { pattern: '/forms/:form', area: 'forms', page: FormDesignerPage },
  { pattern: '/workflows', area: 'workflows', page: WorkflowsPage },
  { pattern: '/workflows/:wf', area: 'workflows', page: WorkflowDesignerPage },
  { pattern: '/reports', area: 'reports', page: ReportsPage },
  { pattern: '/reports/:report', area: 'reports', page: ReportDesignerPage },
  { pattern: '/dashboards/:dashboard', area: 'reports', page: DashboardDesignerPage },
  { pattern: '/roles', area: 'roles', page: RolesPage },
  { pattern: '/roles/:role', area: 'roles', page: RoleDesignerPage },
  { pattern: '/packs', area: 'packs', page: PacksPage },
];

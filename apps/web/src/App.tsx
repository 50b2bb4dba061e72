import { App as AntApp, Button, Result, Spin } from 'antd';
import { lazy, Suspense, type ComponentType, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { AuthProvider, useAuth } from './auth/AuthProvider';
import { I18nProvider, useI18n } from './i18n/I18nProvider';
import { HomePage } from './pages/HomePage';
import { LoginPage } from './pages/LoginPage';
import { AppShell } from './shell/AppShell';
import { mayOpen } from './shell/navigation';
import { ErrorState } from './shell/States';

/**
 * Route-level code splitting: the first page (login, then home inside the shell) is in the entry chunk; every
 * other page is its own chunk, fetched when its route is first opened, so a township's slow link pays for
 * the viewer (Cornerstone3D), the dashboard's charts (echarts), the video room (mediasoup-client), the
 * uploader (tus) and the big antd components (table, date pickers) only where they are used. The shell
 * keeps its header and menu while a page's chunk loads (Suspense around its Outlet).
 */
function page<K extends string>(load: () => Promise<Record<K, ComponentType<any>>>, name: K) {
  return lazy(() => load().then((m) => ({ default: m[name] })));
}
const PatientsPage = page(() => import('./pages/patients/PatientsPage'), 'PatientsPage');
const PatientDetailPage = page(
  () => import('./pages/patients/PatientDetailPage'),
  'PatientDetailPage',
);
const ConsultationsPage = page(
  () => import('./consultations/ConsultationsPage'),
  'ConsultationsPage',
);
const NewConsultationPage = page(
  () => import('./consultations/NewConsultationPage'),
  'NewConsultationPage',
);
const ConsultationDetailPage = page(
  () => import('./consultations/ConsultationDetailPage'),
  'ConsultationDetailPage',
);
const WorklistPage = page(() => import('./worklist/WorklistPage'), 'WorklistPage');
const ReferralsPage = page(() => import('./referrals/ReferralsPage'), 'ReferralsPage');
const OrganizationsPage = page(
  () => import('./pages/admin/OrganizationsPage'),
  'OrganizationsPage',
);
const ConsortiaPage = page(() => import('./pages/admin/ConsortiaPage'), 'ConsortiaPage');
const UsersPage = page(() => import('./pages/admin/UsersPage'), 'UsersPage');
const ServiceAccountsPage = page(
  () => import('./pages/admin/ServiceAccountsPage'),
  'ServiceAccountsPage',
);
const DicomPeersPage = page(() => import('./pages/admin/DicomPeersPage'), 'DicomPeersPage');
const RoutingPage = page(() => import('./pages/admin/RoutingPage'), 'RoutingPage');
const ViewerPage = page(() => import('./viewer/ViewerPage'), 'ViewerPage');
const VideoRoomPage = page(() => import('./video-room/VideoRoomPage'), 'VideoRoomPage');
const RotationsPage = page(() => import('./rotations/RotationsPage'), 'RotationsPage');
const HubDashboardPage = page(() => import('./hub/HubDashboardPage'), 'HubDashboardPage');
const BookingPage = page(() => import('./booking/BookingPage'), 'BookingPage');

function RequireSignIn({ children }: { children: ReactNode }) {
  const { status, loadError, reload } = useAuth();
  const location = useLocation();
  if (status === 'loading') return <Spin fullscreen />;
  if (status === 'error') return <ErrorState error={loadError} onRetry={reload} />;
  if (status === 'signed-out')
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

/** A page outside the user's roles: say so rather than show a half-working page. */
function RoleGate({ children }: { children: ReactNode }) {
  const { profile } = useAuth();
  const location = useLocation();
  const { t } = useI18n();
  if (profile && !mayOpen(location.pathname, profile.roles))
    return <Result status="403" title={t('error.forbidden')} />;
  return <>{children}</>;
}

function NotFound() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return (
    <Result
      status="404"
      title={t('notFound.title')}
      extra={<Button onClick={() => navigate('/')}>{t('notFound.back')}</Button>}
    />
  );
}

export function App() {
  return (
    <I18nProvider>
      <AntApp>
        <AuthProvider>
          <BrowserRouter>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route
                element={
                  <RequireSignIn>
                    <AppShell />
                  </RequireSignIn>
                }
              >
                <Route index element={<HomePage />} />
                <Route
                  path="patients"
                  element={
                    <RoleGate>
                      <PatientsPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="patients/:id"
                  element={
                    <RoleGate>
                      <PatientDetailPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="consultations"
                  element={
                    <RoleGate>
                      <ConsultationsPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="consultations/new"
                  element={
                    <RoleGate>
                      <NewConsultationPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="consultations/:id"
                  element={
                    <RoleGate>
                      <ConsultationDetailPage from="consultations" />
                    </RoleGate>
                  }
                />
                <Route
                  path="bookings"
                  element={
                    <RoleGate>
                      <Suspense fallback={<Spin />}>
                        <BookingPage />
                      </Suspense>
                    </RoleGate>
                  }
                />
                <Route
                  path="worklist"
                  element={
                    <RoleGate>
                      <WorklistPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="worklist/:id"
                  element={
                    <RoleGate>
                      <ConsultationDetailPage from="worklist" />
                    </RoleGate>
                  }
                />
                <Route
                  path="referrals"
                  element={
                    <RoleGate>
                      <ReferralsPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="rotations"
                  element={
                    <RoleGate>
                      <Suspense fallback={<Spin />}>
                        <RotationsPage />
                      </Suspense>
                    </RoleGate>
                  }
                />
                <Route
                  path="dashboard"
                  element={
                    <RoleGate>
                      <Suspense fallback={<Spin />}>
                        <HubDashboardPage />
                      </Suspense>
                    </RoleGate>
                  }
                />
                <Route
                  path="room/:consultationId"
                  element={
                    <Suspense fallback={<Spin />}>
                      <VideoRoomPage />
                    </Suspense>
                  }
                />
                <Route
                  path="admin/organizations"
                  element={
                    <RoleGate>
                      <OrganizationsPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="admin/consortia"
                  element={
                    <RoleGate>
                      <ConsortiaPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="admin/users"
                  element={
                    <RoleGate>
                      <UsersPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="admin/service-accounts"
                  element={
                    <RoleGate>
                      <ServiceAccountsPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="admin/dicom-peers"
                  element={
                    <RoleGate>
                      <DicomPeersPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="admin/routing"
                  element={
                    <RoleGate>
                      <RoutingPage />
                    </RoleGate>
                  }
                />
                <Route
                  path="viewer/:studyUid"
                  element={
                    <Suspense fallback={<Spin />}>
                      <ViewerPage />
                    </Suspense>
                  }
                />
                <Route path="*" element={<NotFound />} />
              </Route>
            </Routes>
          </BrowserRouter>
        </AuthProvider>
      </AntApp>
    </I18nProvider>
  );
}

import { App as AntApp, Button, Result, Spin } from 'antd';
import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { AuthProvider, useAuth } from './auth/AuthProvider';
import { I18nProvider, useI18n } from './i18n/I18nProvider';
import { ConsortiaPage } from './pages/admin/ConsortiaPage';
import { OrganizationsPage } from './pages/admin/OrganizationsPage';
import { UsersPage } from './pages/admin/UsersPage';
import { HomePage } from './pages/HomePage';
import { LoginPage } from './pages/LoginPage';
import { PatientDetailPage } from './pages/patients/PatientDetailPage';
import { PatientsPage } from './pages/patients/PatientsPage';
import { AppShell } from './shell/AppShell';
import { ConsultationDetailPage } from './consultations/ConsultationDetailPage';
import { ConsultationsPage } from './consultations/ConsultationsPage';
import { NewConsultationPage } from './consultations/NewConsultationPage';
import { WorklistPage } from './worklist/WorklistPage';
import { ReferralsPage } from './referrals/ReferralsPage';
import { mayOpen } from './shell/navigation';
import { ErrorState } from './shell/States';

// Cornerstone is most of the bundle: only the viewer route loads it.
const ViewerPage = lazy(() => import('./viewer/ViewerPage').then((m) => ({ default: m.ViewerPage })));
const VideoRoomPage = lazy(() => import('./video-room/VideoRoomPage').then((m) => ({ default: m.VideoRoomPage })));
const RotationsPage = lazy(() => import('./rotations/RotationsPage').then((m) => ({ default: m.RotationsPage })));
const HubDashboardPage = lazy(() => import('./hub/HubDashboardPage').then((m) => ({ default: m.HubDashboardPage })));
const BookingPage = lazy(() => import('./booking/BookingPage').then((m) => ({ default: m.BookingPage })));

function RequireSignIn({ children }: { children: ReactNode }) {
  const { status, loadError, reload } = useAuth();
  const location = useLocation();
  if (status === 'loading') return <Spin fullscreen />;
  if (status === 'error') return <ErrorState error={loadError} onRetry={reload} />;
  if (status === 'signed-out') return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <>{children}</>;
}

/** A page outside the user's roles: say so rather than show a half-working page. */
function RoleGate({ children }: { children: ReactNode }) {
  const { profile } = useAuth();
  const location = useLocation();
  const { t } = useI18n();
  if (profile && !mayOpen(location.pathname, profile.roles)) return <Result status="403" title={t('error.forbidden')} />;
  return <>{children}</>;
}

function NotFound() {
  const { t } = useI18n();
  const navigate = useNavigate();
  return <Result status="404" title={t('notFound.title')} extra={<Button onClick={() => navigate('/')}>{t('notFound.back')}</Button>} />;
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
                <Route path="patients" element={<RoleGate><PatientsPage /></RoleGate>} />
                <Route path="patients/:id" element={<RoleGate><PatientDetailPage /></RoleGate>} />
                <Route path="consultations" element={<RoleGate><ConsultationsPage /></RoleGate>} />
                <Route path="consultations/new" element={<RoleGate><NewConsultationPage /></RoleGate>} />
                <Route path="consultations/:id" element={<RoleGate><ConsultationDetailPage from="consultations" /></RoleGate>} />
                <Route path="bookings" element={<RoleGate><Suspense fallback={<Spin />}><BookingPage /></Suspense></RoleGate>} />
                <Route path="worklist" element={<RoleGate><WorklistPage /></RoleGate>} />
                <Route path="worklist/:id" element={<RoleGate><ConsultationDetailPage from="worklist" /></RoleGate>} />
                <Route path="referrals" element={<RoleGate><ReferralsPage /></RoleGate>} />
                <Route path="rotations" element={<RoleGate><Suspense fallback={<Spin />}><RotationsPage /></Suspense></RoleGate>} />
                <Route path="dashboard" element={<RoleGate><Suspense fallback={<Spin />}><HubDashboardPage /></Suspense></RoleGate>} />
                <Route path="room/:consultationId" element={<Suspense fallback={<Spin />}><VideoRoomPage /></Suspense>} />
                <Route path="admin/organizations" element={<RoleGate><OrganizationsPage /></RoleGate>} />
                <Route path="admin/consortia" element={<RoleGate><ConsortiaPage /></RoleGate>} />
                <Route path="admin/users" element={<RoleGate><UsersPage /></RoleGate>} />
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

export * from './actor';
export * from './password';
export * from './login-throttle';
export * from './auth.service';
export * from './session-revocations';
export * from './access-token.guard';
export * from './auth.module';
export * from './service-accounts';

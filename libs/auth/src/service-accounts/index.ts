export * from './service-account-key';
export * from './service-account-model';
export * from './service-account-credentials';
export * from './service-accounts.service';
export * from './service-accounts.module';
export * from './service-accounts-http.module';

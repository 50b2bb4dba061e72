export * from './policy-terms';
export * from './access-policy.service';
export * from './access-policy.module';
export * from './consultation-refs';

import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';

/**
 * The OpenAPI fields the response views (apps/api *.views.ts) repeat: a uuid, an ISO date-time, and their
 * nullable forms. The views implement the contract's types (libs/contract views/), where these
 * fields are strings.
 */
export const Id = (o: ApiPropertyOptions = {}) => ApiProperty({ format: 'uuid', ...o });
export const IdOrNull = (o: ApiPropertyOptions = {}) =>
  ApiProperty({ type: String, format: 'uuid', nullable: true, ...o });
export const Ids = (o: ApiPropertyOptions = {}) =>
  ApiProperty({ type: [String], format: 'uuid', ...o });
export const DateTime = (o: ApiPropertyOptions = {}) =>
  ApiProperty({ type: String, format: 'date-time', ...o });
export const DateTimeOrNull = (o: ApiPropertyOptions = {}) =>
  ApiProperty({ type: String, format: 'date-time', nullable: true, ...o });
export const TextOrNull = (o: ApiPropertyOptions = {}) =>
  ApiProperty({ type: String, nullable: true, ...o });
/** A JSON object of any keys. */
export const AnyObject = (o: ApiPropertyOptions = {}) =>
  ApiProperty({ type: 'object', additionalProperties: true, ...o } as ApiPropertyOptions);

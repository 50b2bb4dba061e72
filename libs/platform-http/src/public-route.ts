import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'huizhen:public-route';

/** This route answers without an access token (login, health). Everything else needs one. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

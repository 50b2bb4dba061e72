import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Actor } from '@huizhen/auth';
import { DirectRoutes } from '@huizhen/platform-http';
import type { Level } from './qido';
import { QidoSearch, sendQidoResult } from './qido-search.service';

/**
 * The three listing searches (studies, series, instances without a study in the path) served as
 * direct routes: a viewer's worklist and an exact lookup cost ~1 ms of work, and the framework's
 * pipeline was most of each request. Same search, same access check and audit, same answer as
 * the controller's routes of the same paths.
 */
@Injectable()
export class QidoDirectRoutes implements OnModuleInit {
  constructor(
    private readonly direct: DirectRoutes,
    private readonly qido: QidoSearch,
  ) {}

  onModuleInit(): void {
    for (const [path, level] of [
      ['/dicom-web/studies', 'study'],
      ['/dicom-web/series', 'series'],
      ['/dicom-web/instances', 'instance'],
    ] as [string, Level][]) {
      this.direct.get<Actor>(path, async (actor, req, res) =>
        sendQidoResult(res, await this.qido.search(actor, level, req.query, req.origin)),
      );
    }
  }
}

import type { Dayjs } from 'dayjs';
import { useMemo } from 'react';
import { organizationsApi } from '../api/directory';
import { schedulingApi } from '../api/scheduling';
import { useApiData } from '../shell/useApiData';
import { useDirectoryTerms } from '../shell/useDirectoryTerms';

/** Everything the dashboard shows for a date range, each loaded again when the range changes; the organizations' names and the directory's terms. */
export function useHubData(range: [Dayjs, Dayjs]) {
  const q = { from: range[0].toISOString(), to: range[1].toISOString() };
  const deps = [range[0].valueOf(), range[1].valueOf()];
  const coverage = useApiData(() => schedulingApi.coverage(q), deps);
  const utilization = useApiData(() => schedulingApi.utilization(q), deps);
  const unfilled = useApiData(() => schedulingApi.unfilled(q), deps);
  const noShows = useApiData(() => schedulingApi.noShows(q), deps);
  const figures = useApiData(() => schedulingApi.institutionFigures(q), deps);
  const terms = useDirectoryTerms();
  const orgs = useApiData(() => organizationsApi.list(), []);
  const orgName = useMemo(
    () => new Map((orgs.data?.items ?? []).map((o) => [o.id, o.name])),
    [orgs.data],
  );
  return { coverage, utilization, unfilled, noShows, figures, orgName, terms };
}

export type HubData = ReturnType<typeof useHubData>;

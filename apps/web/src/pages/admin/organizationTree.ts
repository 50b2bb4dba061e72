import type { Organization } from '../../api/types';

export interface OrgNode {
  key: string;
  title: string;
  org: Organization;
  children: OrgNode[];
}

/** Parent/child tree from the flat list; orgs whose parent is not in the list become roots. */
export function buildOrganizationTree(
  orgs: Organization[],
  label: (o: Organization) => string = (o) => o.name,
): OrgNode[] {
  const nodes = new Map(
    orgs.map((o) => [o.id, { key: o.id, title: label(o), org: o, children: [] as OrgNode[] }]),
  );
  const roots: OrgNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.org.parentId ? nodes.get(node.org.parentId) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  const sort = (list: OrgNode[]) => {
    list.sort((a, b) => a.org.name.localeCompare(b.org.name, 'zh-CN'));
    list.forEach((n) => sort(n.children));
  };
  sort(roots);
  return roots;
}

/** The org and everything under it: a parent may not be moved beneath itself. */
export function subtreeIds(orgs: Organization[], rootId: string): Set<string> {
  const ids = new Set([rootId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const o of orgs) {
      if (o.parentId && ids.has(o.parentId) && !ids.has(o.id)) {
        ids.add(o.id);
        grew = true;
      }
    }
  }
  return ids;
}

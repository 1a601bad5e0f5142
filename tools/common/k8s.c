/* tools/common/k8s.c - which cluster a tool talks to, said at -v.  Apart from cli.c: dm-gpu's
 * standalone build (tools/dm-gpu/standalone) links cli.c without libdm's Kubernetes client. */
#include <dm/cli.h>
#include <dm/k8s.h>
#include <dm/log.h>

dm_err dm_cli_k8s_choose(dm_k8s_opts *ko, dm_k8s_current *cur)
{
	dm_k8s_from from;
	dm_err e = dm_k8s_choose(ko, cur, &from);

	if (e)
		return e;
	switch (from) {
	case DM_K8S_FROM_GIVEN: dm_info("cluster: --kubeconfig '%s'", ko->kubeconfig); break;
	case DM_K8S_FROM_ENV: dm_info("cluster: $KUBECONFIG"); break;
	case DM_K8S_FROM_CURRENT:
		dm_info("cluster: the current target%s%s%s (recorded in '%s'): kubeconfig '%s', context '%s'",
			cur->target ? " " : "", cur->target ? "of " : "", cur->target ? cur->target : "", cur->file,
			cur->kubeconfig, ko->context ? ko->context : "(its current context)");
		break;
	case DM_K8S_FROM_HOME: dm_info("cluster: ~/.kube/config (no current target recorded)"); break;
	case DM_K8S_FROM_IN_CLUSTER: break;
	}
	return DM_OK;
}

/* libdm/seed/job.h - private: the Job objects of dm-seed --k8s-job, as the
 * printer (job.c) and the runner (job_run.c) both need them. */
#ifndef DM_LIBDM_SEED_JOB_H
#define DM_LIBDM_SEED_JOB_H

#include <jansson.h>
#include <dm/seed.h>

/* The Job of shard (per-shard form), or the Indexed Job (shard -1), as a
 * Kubernetes object; NULL when out of memory.  job must have passed
 * dm_seed_job_check.  The caller owns the reference. */
json_t *dm_seed_job_tree(const dm_seed_job *job, int shard);

#endif

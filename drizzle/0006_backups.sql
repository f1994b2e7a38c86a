CREATE TABLE `backup_targets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`host_id` text NOT NULL,
	`pool` text NOT NULL,
	`path` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`created_by` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `backup_targets_pool_idx` ON `backup_targets` (`host_id`,`pool`);--> statement-breakpoint
CREATE TABLE `backups` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`vm_uuid` text NOT NULL,
	`vm_name` text NOT NULL,
	`pool` text NOT NULL,
	`dir` text NOT NULL,
	`kind` text NOT NULL,
	`parent_id` text,
	`checkpoint` text,
	`state` text NOT NULL,
	`consistency` text,
	`quiesce_method` text,
	`consistency_reason` text,
	`disks` text DEFAULT '[]' NOT NULL,
	`bytes` integer,
	`virtual_bytes` integer,
	`task_id` text,
	`error` text,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`verify_state` text,
	`verify_detail` text,
	`verified_at` integer
);
--> statement-breakpoint
CREATE INDEX `backups_vm_idx` ON `backups` (`host_id`,`vm_uuid`);--> statement-breakpoint
CREATE INDEX `backups_started_idx` ON `backups` (`started_at`);--> statement-breakpoint
CREATE INDEX `backups_parent_idx` ON `backups` (`parent_id`);
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
	`schedule_id` integer,
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
CREATE INDEX `backups_parent_idx` ON `backups` (`parent_id`);--> statement-breakpoint
CREATE TABLE `schedule_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`schedule_id` integer NOT NULL,
	`trigger` text NOT NULL,
	`fired_for` integer,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`result` text NOT NULL,
	`outcomes` text NOT NULL,
	`error` text,
	`by_user` text,
	FOREIGN KEY (`schedule_id`) REFERENCES `schedules`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `schedule_runs_schedule_idx` ON `schedule_runs` (`schedule_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `schedule_snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`schedule_id` integer NOT NULL,
	`host_id` text NOT NULL,
	`vm_uuid` text NOT NULL,
	`name` text NOT NULL,
	`taken_at` integer NOT NULL,
	FOREIGN KEY (`schedule_id`) REFERENCES `schedules`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `schedule_snapshots_vm_idx` ON `schedule_snapshots` (`schedule_id`,`host_id`,`vm_uuid`,`taken_at`);--> statement-breakpoint
CREATE TABLE `schedules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`target_kind` text NOT NULL,
	`host_id` text,
	`vm_uuid` text,
	`vm_name` text,
	`tag` text,
	`action` text NOT NULL,
	`options` text NOT NULL,
	`cron` text NOT NULL,
	`time_zone` text NOT NULL,
	`missed_policy` text NOT NULL,
	`enabled` integer NOT NULL,
	`created_by` integer,
	`created_by_name` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`fired_through` integer NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `schedules_name_unique` ON `schedules` (`name`);
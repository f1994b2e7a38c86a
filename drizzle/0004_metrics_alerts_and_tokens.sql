CREATE TABLE `alert_defaults_seeded` (
	`key` text PRIMARY KEY NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `alert_rules` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`metric` text NOT NULL,
	`scope` text NOT NULL,
	`comparison` text NOT NULL,
	`threshold` real NOT NULL,
	`resolve_threshold` real NOT NULL,
	`for_ms` integer NOT NULL,
	`severity` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `alert_silences` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`value` text NOT NULL,
	`ends_at` integer NOT NULL,
	`reason` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rule_id` integer,
	`rule_name` text NOT NULL,
	`metric` text NOT NULL,
	`severity` text NOT NULL,
	`host_id` text NOT NULL,
	`uuid` text,
	`vm_name` text,
	`state` text NOT NULL,
	`value` real,
	`resolved_value` real,
	`threshold` real NOT NULL,
	`fired_at` integer NOT NULL,
	`acknowledged_at` integer,
	`acknowledged_by` text,
	`resolved_at` integer,
	`silenced` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`rule_id`) REFERENCES `alert_rules`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `alerts_state_idx` ON `alerts` (`state`);--> statement-breakpoint
CREATE INDEX `alerts_vm_idx` ON `alerts` (`host_id`,`uuid`);--> statement-breakpoint
CREATE INDEX `alerts_fired_idx` ON `alerts` (`fired_at`);--> statement-breakpoint
CREATE TABLE `metric_1h` (
	`id` integer PRIMARY KEY NOT NULL,
	`subject_id` integer NOT NULL,
	`at` integer NOT NULL,
	`vm_cpu_min` real,
	`vm_cpu_avg` real,
	`vm_cpu_max` real,
	`vm_memory_used_min` real,
	`vm_memory_used_avg` real,
	`vm_memory_used_max` real,
	`vm_memory_total_min` real,
	`vm_memory_total_avg` real,
	`vm_memory_total_max` real,
	`vm_disk_read_min` real,
	`vm_disk_read_avg` real,
	`vm_disk_read_max` real,
	`vm_disk_write_min` real,
	`vm_disk_write_avg` real,
	`vm_disk_write_max` real,
	`vm_disk_read_ops_min` real,
	`vm_disk_read_ops_avg` real,
	`vm_disk_read_ops_max` real,
	`vm_disk_write_ops_min` real,
	`vm_disk_write_ops_avg` real,
	`vm_disk_write_ops_max` real,
	`vm_net_rx_min` real,
	`vm_net_rx_avg` real,
	`vm_net_rx_max` real,
	`vm_net_tx_min` real,
	`vm_net_tx_avg` real,
	`vm_net_tx_max` real,
	`vm_guest_cpu_min` real,
	`vm_guest_cpu_avg` real,
	`vm_guest_cpu_max` real,
	`vm_guest_memory_min` real,
	`vm_guest_memory_avg` real,
	`vm_guest_memory_max` real,
	`vm_guest_filesystem_min` real,
	`vm_guest_filesystem_avg` real,
	`vm_guest_filesystem_max` real,
	`host_cpu_min` real,
	`host_cpu_avg` real,
	`host_cpu_max` real,
	`host_memory_used_min` real,
	`host_memory_used_avg` real,
	`host_memory_used_max` real,
	`host_memory_total_min` real,
	`host_memory_total_avg` real,
	`host_memory_total_max` real
);
--> statement-breakpoint
CREATE TABLE `metric_1m` (
	`id` integer PRIMARY KEY NOT NULL,
	`subject_id` integer NOT NULL,
	`at` integer NOT NULL,
	`vm_cpu_min` real,
	`vm_cpu_avg` real,
	`vm_cpu_max` real,
	`vm_memory_used_min` real,
	`vm_memory_used_avg` real,
	`vm_memory_used_max` real,
	`vm_memory_total_min` real,
	`vm_memory_total_avg` real,
	`vm_memory_total_max` real,
	`vm_disk_read_min` real,
	`vm_disk_read_avg` real,
	`vm_disk_read_max` real,
	`vm_disk_write_min` real,
	`vm_disk_write_avg` real,
	`vm_disk_write_max` real,
	`vm_disk_read_ops_min` real,
	`vm_disk_read_ops_avg` real,
	`vm_disk_read_ops_max` real,
	`vm_disk_write_ops_min` real,
	`vm_disk_write_ops_avg` real,
	`vm_disk_write_ops_max` real,
	`vm_net_rx_min` real,
	`vm_net_rx_avg` real,
	`vm_net_rx_max` real,
	`vm_net_tx_min` real,
	`vm_net_tx_avg` real,
	`vm_net_tx_max` real,
	`vm_guest_cpu_min` real,
	`vm_guest_cpu_avg` real,
	`vm_guest_cpu_max` real,
	`vm_guest_memory_min` real,
	`vm_guest_memory_avg` real,
	`vm_guest_memory_max` real,
	`vm_guest_filesystem_min` real,
	`vm_guest_filesystem_avg` real,
	`vm_guest_filesystem_max` real,
	`host_cpu_min` real,
	`host_cpu_avg` real,
	`host_cpu_max` real,
	`host_memory_used_min` real,
	`host_memory_used_avg` real,
	`host_memory_used_max` real,
	`host_memory_total_min` real,
	`host_memory_total_avg` real,
	`host_memory_total_max` real
);
--> statement-breakpoint
CREATE TABLE `metric_raw` (
	`subject_id` integer NOT NULL,
	`at` integer NOT NULL,
	`vm_cpu` real,
	`vm_memory_used` real,
	`vm_memory_total` real,
	`vm_disk_read` real,
	`vm_disk_write` real,
	`vm_disk_read_ops` real,
	`vm_disk_write_ops` real,
	`vm_net_rx` real,
	`vm_net_tx` real,
	`vm_guest_cpu` real,
	`vm_guest_memory` real,
	`vm_guest_filesystem` real,
	`host_cpu` real,
	`host_memory_used` real,
	`host_memory_total` real
);
--> statement-breakpoint
CREATE INDEX `metric_raw_subject_at_idx` ON `metric_raw` (`subject_id`,`at`);--> statement-breakpoint
CREATE TABLE `metric_rollup_state` (
	`resolution` text PRIMARY KEY NOT NULL,
	`rolled_until` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `metric_subjects` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`host_id` text NOT NULL,
	`uuid` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `metric_subjects_ref_idx` ON `metric_subjects` (`kind`,`host_id`,`uuid`);--> statement-breakpoint
CREATE TABLE `metrics_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_by` integer,
	`created_by_name` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `metrics_tokens_token_hash_unique` ON `metrics_tokens` (`token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `metrics_tokens_live_name_idx` ON `metrics_tokens` (`name`) WHERE "metrics_tokens"."revoked_at" is null;--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);

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
CREATE INDEX `alerts_fired_idx` ON `alerts` (`fired_at`);
CREATE TABLE `agent_sightings` (
	`host_id` text NOT NULL,
	`uuid` text NOT NULL,
	`agent_at` integer,
	`qga_at` integer,
	PRIMARY KEY(`host_id`, `uuid`)
);
--> statement-breakpoint
CREATE TABLE `alert_rule_channels` (
	`rule_id` integer NOT NULL,
	`channel_id` integer NOT NULL,
	FOREIGN KEY (`rule_id`) REFERENCES `alert_rules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`channel_id`) REFERENCES `notification_channels`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alert_rule_channels_pk` ON `alert_rule_channels` (`rule_id`,`channel_id`);--> statement-breakpoint
CREATE TABLE `insight_runs` (
	`id` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`trigger` text NOT NULL,
	`notes` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `insights` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`severity` text NOT NULL,
	`host_id` text NOT NULL,
	`uuid` text,
	`vm_name` text,
	`figures` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `insights_vm_idx` ON `insights` (`host_id`,`uuid`);--> statement-breakpoint
CREATE TABLE `notification_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`delivery_id` integer NOT NULL,
	`at` integer NOT NULL,
	`outcome` text NOT NULL,
	`http_status` integer,
	`reply` text,
	`error` text,
	`duration_ms` integer NOT NULL,
	FOREIGN KEY (`delivery_id`) REFERENCES `notification_deliveries`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notification_attempts_delivery_idx` ON `notification_attempts` (`delivery_id`);--> statement-breakpoint
CREATE TABLE `notification_channels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`url` text,
	`secret` text,
	`recipients` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notification_channels_name_unique` ON `notification_channels` (`name`);--> statement-breakpoint
CREATE TABLE `notification_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`alert_id` integer NOT NULL,
	`channel_id` integer,
	`channel_name` text NOT NULL,
	`channel_kind` text NOT NULL,
	`event` text NOT NULL,
	`body` text NOT NULL,
	`state` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`created_at` integer NOT NULL,
	`finished_at` integer,
	FOREIGN KEY (`alert_id`) REFERENCES `alerts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`channel_id`) REFERENCES `notification_channels`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `notification_deliveries_due_idx` ON `notification_deliveries` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `notification_deliveries_alert_idx` ON `notification_deliveries` (`alert_id`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`host_id` text NOT NULL,
	`target_kind` text NOT NULL,
	`target_name` text NOT NULL,
	`target_uuid` text,
	`detail` text,
	`user_id` integer,
	`username` text NOT NULL,
	`state` text NOT NULL,
	`progress` real,
	`bytes_done` integer,
	`bytes_total` integer,
	`cancellable` integer DEFAULT false NOT NULL,
	`log` text DEFAULT '[]' NOT NULL,
	`result` text,
	`error` text,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `tasks_state_idx` ON `tasks` (`state`);--> statement-breakpoint
CREATE INDEX `tasks_started_idx` ON `tasks` (`started_at`);--> statement-breakpoint
CREATE INDEX `tasks_target_idx` ON `tasks` (`host_id`,`target_uuid`);
CREATE TABLE `agent_sightings` (
	`host_id` text NOT NULL,
	`uuid` text NOT NULL,
	`agent_at` integer,
	`qga_at` integer,
	PRIMARY KEY(`host_id`, `uuid`)
);
--> statement-breakpoint
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
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
CREATE INDEX `insights_vm_idx` ON `insights` (`host_id`,`uuid`);
CREATE TABLE `templates` (
	`id` text PRIMARY KEY NOT NULL,
	`host_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`source_vm` text NOT NULL,
	`pool` text NOT NULL,
	`state` text NOT NULL,
	`error` text,
	`vcpus` integer NOT NULL,
	`memory_mib` integer NOT NULL,
	`domain_xml` text NOT NULL,
	`disks` text DEFAULT '[]' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`created_by_user_id` integer,
	`created_by` text,
	`task_id` text,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `templates_host_name_idx` ON `templates` (`host_id`,`name`);
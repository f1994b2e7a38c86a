ALTER TABLE `hosts` ADD `enabled` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `hosts` ADD `host_key` text;
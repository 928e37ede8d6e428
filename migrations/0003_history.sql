CREATE TABLE `history` (
	`run_id` text NOT NULL,
	`kind` text NOT NULL,
	`schedule_id` text,
	`api` text NOT NULL,
	`host` text NOT NULL,
	`model` text NOT NULL,
	`region` text NOT NULL,
	`metric` text NOT NULL,
	`value` real NOT NULL,
	`lo` real,
	`hi` real,
	`at_ms` integer NOT NULL,
	PRIMARY KEY(`run_id`, `region`, `metric`)
);
--> statement-breakpoint
CREATE INDEX `history_series_idx` ON `history` (`api`,`host`,`model`,`region`,`metric`,`at_ms`);
"""The portal's words in Bahasa Indonesia (default) and English (``?lang=en``)."""

from __future__ import annotations

LANGUAGES = ("id", "en")

TEXT: dict[str, dict[str, str]] = {
    "id": {
        "site": "Kerja Sama Daerah Provinsi Jawa Barat",
        "dashboard": "Dasbor", "register": "Daftar kerja sama", "open_data": "Data terbuka",
        "year": "Tahun", "show": "Tampilkan", "realization": "Realisasi jumlah naskah kerja sama",
        "effectiveness": "Efektivitas kerja sama", "target": "Target", "value": "Capaian",
        "achievement": "Persentase capaian", "numerator": "Pembilang",
        "denominator": "Penyebut", "provisional": "sementara",
        "provisional_note": "Angka sementara: sebagian catatan sedang diperiksa.",
        "over_years": "Dari tahun ke tahun", "per_agency": "Per perangkat daerah",
        "per_kind": "Per jenis kerja sama", "sleeping": "Dokumen tidur",
        "sleeping_note": "Kerja sama yang berlaku tanpa tindak lanjut 90 hari atau lebih.",
        "expiring": "Berakhir dalam 90 hari", "none": "Tidak ada.",
        "no_figures": "Belum ada angka untuk tahun ini.",
        "search": "Cari (judul, nomor, mitra)", "kind": "Jenis", "category": "Kategori mitra",
        "opd": "Perangkat daerah", "status": "Status", "all": "Semua", "filter": "Saring",
        "results": "{n} kerja sama", "page": "Halaman {page} dari {pages}",
        "previous": "Sebelumnya", "next": "Berikutnya", "title": "Judul", "number": "Nomor",
        "partner": "Mitra", "signed_on": "Ditandatangani", "effective": "Masa berlaku",
        "in_force": "Berlaku", "not_yet_in_force": "Belum berlaku", "expired": "Berakhir",
        "terminated": "Diakhiri", "parties": "Para pihak", "province": "Pemerintah Daerah "
        "Provinsi Jawa Barat", "signatory": "Penanda tangan", "lead_opd": "Perangkat daerah "
        "pelaksana", "supporting_opds": "Perangkat daerah pendukung", "objective": "Tujuan",
        "sector": "Bidang", "document_type": "Jenis naskah", "timeline": "Perjalanan kerja sama",
        "signed": "Ditandatangani", "plan": "Rencana tindak lanjut", "follow_up": "Tindak lanjut",
        "milestone": "Tahapan selesai", "evaluation": "Evaluasi", "not_found": "Tidak ditemukan",
        "not_found_text": "Halaman, kerja sama atau mitra ini tidak ada, atau tidak terbuka "
        "untuk umum.",
        "back": "Kembali ke daftar", "licence": "Data terbuka dengan lisensi CC BY 4.0",
        "open_data_text": "Unduh daftar kerja sama dan angka kinerja, dengan lisensi CC BY 4.0 "
        "(sebutkan sumbernya: Sekretariat TKKSD Provinsi Jawa Barat).",
        "feed": "Kerja sama yang baru ditandatangani (Atom)", "language": "English",
        "other_lang": "en", "until": "s.d.", "days": "hari", "last_activity": "Kegiatan terakhir",
        "score": "nilai", "chart": "Grafik", "table": "Angka", "skip": "Langsung ke isi",
        "listed": "Ditampilkan {n} dari {total} (yang paling lama atau paling dekat).",
        "agreements_csv": "Daftar kerja sama (CSV)", "agreements_json": "Daftar kerja sama "
        "(JSON)", "kpis_csv": "Angka kinerja (CSV)", "country": "Negara",
        "documents": "Dokumen", "no_documents": "Belum ada dokumen yang dibuka untuk umum.",
        "document_kind": "Jenis dokumen", "file": "Berkas", "size": "Ukuran",
        "file_type": "Jenis berkas", "bytes": "bita",
        "sha256_note": "Sidik jari SHA-256 memastikan berkas yang diunduh utuh dan sama "
        "dengan arsip: hitung sidik jari berkas itu (misalnya dengan sha256sum) dan "
        "bandingkan.",
        "document_unavailable": "Dokumen belum dapat diunduh",
        "document_unavailable_text": "Arsip dokumen sedang tidak dapat dihubungi. Coba lagi "
        "beberapa saat lagi.",
        "document_refused": "Dokumen tidak diberikan",
        "document_refused_text": "Berkas yang diterima dari arsip tidak sesuai dengan sidik "
        "jarinya, sehingga tidak diberikan. Coba lagi nanti.",
        "planning": "Perencanaan {year}: pemetaan, prioritas dan nilai kerja sama",
        "planning_note": "Butir pemetaan kerja sama perangkat daerah, prioritas kebijakan "
        "tahun ini, nilai kerja sama yang ditandatangani tahun ini dan pendapatan daerah dari "
        "tindak lanjutnya.",
        "no_mapping": "Belum ada pemetaan untuk tahun ini.",
        "priorities": "Prioritas {year}", "planning_per_agency": "Pemetaan dan nilai per "
        "perangkat daerah {year}", "priority": "Prioritas",
        "items_mapped": "Butir dipetakan", "items_mapped_realised": "Butir terealisasi",
        "value_cash": "Nilai uang", "value_in_kind": "Nilai barang dan jasa",
        "revenue": "Pendapatan daerah", "revenue_recorded": "Pendapatan daerah tercatat",
        "realization_short": "Realisasi (ditandatangani / direncanakan)",
        "whole_province": "Seluruh provinsi",
        "partners": "Mitra kerja sama", "partner_search": "Cari mitra (nama)",
        "partner_results": "{n} mitra", "codes": "Nomor registrasi",
        "agreements": "Kerja sama", "agreements_signed": "Kerja sama ditandatangani",
        "in_force_now": "Sedang berlaku", "summary": "Ringkasan",
        "partner_agreements": "Kerja sama dengan mitra ini",
        "back_partners": "Kembali ke daftar mitra",
        "unregistered": "Belum tercatat di daftar mitra: nama, kategori dan negara seperti "
        "tertulis pada naskah kerja samanya.",
        "partner_note": "Yang dibuka untuk umum hanya nama, kategori, negara dan nomor "
        "registrasi mitra; kontaknya tidak.",
    },
    "en": {
        "site": "Regional Cooperation of West Java Province",
        "dashboard": "Dashboard", "register": "Register of agreements",
        "open_data": "Open data", "year": "Year", "show": "Show",
        "realization": "Realization of cooperation agreements",
        "effectiveness": "Effectiveness of cooperation", "target": "Target", "value": "Value",
        "achievement": "Achievement", "numerator": "Numerator", "denominator": "Denominator",
        "provisional": "provisional",
        "provisional_note": "Provisional figure: some records are being checked.",
        "over_years": "Over the years", "per_agency": "Per agency", "per_kind": "Per kind",
        "sleeping": "Sleeping documents",
        "sleeping_note": "Agreements in force with no follow-up for 90 days or more.",
        "expiring": "Ending within 90 days", "none": "None.",
        "no_figures": "No figures for this year yet.",
        "search": "Search (title, number, partner)", "kind": "Kind",
        "category": "Partner category", "opd": "Agency", "status": "Status", "all": "All",
        "filter": "Filter", "results": "{n} agreements", "page": "Page {page} of {pages}",
        "previous": "Previous", "next": "Next", "title": "Title", "number": "Number",
        "partner": "Partner", "signed_on": "Signed", "effective": "In force",
        "in_force": "In force", "not_yet_in_force": "Not yet in force", "expired": "Expired",
        "terminated": "Terminated", "parties": "Parties",
        "province": "Provincial Government of West Java", "signatory": "Signed by",
        "lead_opd": "Lead agency", "supporting_opds": "Supporting agencies",
        "objective": "Objective", "sector": "Sector", "document_type": "Document",
        "timeline": "Timeline", "signed": "Signed", "plan": "Follow-up plan",
        "follow_up": "Follow-up", "milestone": "Milestone completed",
        "evaluation": "Evaluation", "not_found": "Not found",
        "not_found_text": "This page, agreement or partner does not exist, or is not public.",
        "back": "Back to the register", "licence": "Open data under CC BY 4.0",
        "open_data_text": "Download the register and the performance figures under CC BY 4.0 "
        "(credit: TKKSD Secretariat of West Java Province).",
        "feed": "Newly signed agreements (Atom)", "language": "Bahasa Indonesia",
        "other_lang": "id", "until": "to", "days": "days", "last_activity": "Last activity",
        "score": "score", "chart": "Chart", "table": "Figures", "skip": "Skip to content",
        "listed": "{n} of {total} shown (the longest quiet or the soonest ending first).",
        "agreements_csv": "Register of agreements (CSV)",
        "agreements_json": "Register of agreements (JSON)",
        "kpis_csv": "Performance figures (CSV)", "country": "Country",
        "documents": "Documents", "no_documents": "No document has been made public yet.",
        "document_kind": "Kind of document", "file": "File", "size": "Size",
        "file_type": "File type", "bytes": "bytes",
        "sha256_note": "The SHA-256 fingerprint lets you check that a downloaded file is "
        "whole and the same as the archive's: compute the file's fingerprint (for example "
        "with sha256sum) and compare.",
        "document_unavailable": "Document not available now",
        "document_unavailable_text": "The document archive cannot be reached at the moment. "
        "Please try again shortly.",
        "document_refused": "Document withheld",
        "document_refused_text": "The file received from the archive did not match its "
        "fingerprint, so it is not served. Please try again later.",
        "planning": "Planning {year}: mapping, priorities and value of cooperation",
        "planning_note": "The agencies' mapping of potential cooperation, the year's policy "
        "priorities, the value of the agreements signed this year and the regional revenue "
        "their follow-ups brought.",
        "no_mapping": "No mapping for this year yet.",
        "priorities": "Priorities {year}", "planning_per_agency": "Mapping and value per "
        "agency {year}", "priority": "Priority",
        "items_mapped": "Items mapped", "items_mapped_realised": "Items realised",
        "value_cash": "Value in cash", "value_in_kind": "Value in kind",
        "revenue": "Regional revenue", "revenue_recorded": "Regional revenue recorded",
        "realization_short": "Realization (signed / planned)",
        "whole_province": "Whole province",
        "partners": "Partners", "partner_search": "Search partners (name)",
        "partner_results": "{n} partners", "codes": "Registration numbers",
        "agreements": "Agreements", "agreements_signed": "Agreements signed",
        "in_force_now": "In force now", "summary": "Summary",
        "partner_agreements": "Agreements with this partner",
        "back_partners": "Back to the partners",
        "unregistered": "Not in the partner registry yet: name, category and country as "
        "written in its agreements.",
        "partner_note": "Only a partner's name, category, country and registration numbers "
        "are public; its contact is not.",
    },
}

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "REGIONAL_GOVERNMENT": "Pemerintah daerah", "FOREIGN_REGIONAL_GOVERNMENT":
        "Pemerintah daerah di luar negeri", "MINISTRY_OR_AGENCY": "Kementerian/lembaga",
        "STATE_UNIVERSITY": "Perguruan tinggi negeri", "OTHER_INSTITUTION": "Lembaga lain",
        "THIRD_PARTY": "Pihak ketiga", "FOREIGN_INSTITUTION": "Lembaga di luar negeri",
        "GOVERNOR": "Gubernur", "REGIONAL_SECRETARY": "Sekretaris Daerah",
        "HEAD_OF_AGENCY": "Kepala Perangkat Daerah",
        "LOI": "Surat pernyataan kehendak (LoI)", "MOU": "Kesepakatan bersama (MoU)",
        "PKS": "Perjanjian kerja sama (PKS)", "ADDENDUM": "Adendum",
        "DRAFT": "Rancangan naskah", "SIGNED": "Naskah yang ditandatangani",
        "MINUTES": "Berita acara atau notulen", "STUDY_PRE": "Kajian pra kerja sama",
        "STUDY_POST": "Kajian pasca kerja sama", "EVALUATION": "Laporan evaluasi",
        "OTHER": "Dokumen lain",
    },
    "en": {
        "REGIONAL_GOVERNMENT": "Regional government", "FOREIGN_REGIONAL_GOVERNMENT":
        "Foreign regional government", "MINISTRY_OR_AGENCY": "Ministry or agency",
        "STATE_UNIVERSITY": "State university", "OTHER_INSTITUTION": "Other institution",
        "THIRD_PARTY": "Third party", "FOREIGN_INSTITUTION": "Foreign institution",
        "GOVERNOR": "Governor", "REGIONAL_SECRETARY": "Regional secretary",
        "HEAD_OF_AGENCY": "Head of agency",
        "LOI": "Letter of intent (LoI)", "MOU": "Memorandum of understanding (MoU)",
        "PKS": "Implementation agreement (PKS)", "ADDENDUM": "Addendum",
        "DRAFT": "Draft text", "SIGNED": "Signed text", "MINUTES": "Minutes",
        "STUDY_PRE": "Study before the cooperation", "STUDY_POST": "Study after the "
        "cooperation", "EVALUATION": "Evaluation report", "OTHER": "Other document",
    },
}
"""Codes of the contract as people read them."""

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def language_of(value: str | None) -> str:
    """The page language: ``en`` when asked for, else Bahasa Indonesia."""
    return value if value in LANGUAGES else "id"
